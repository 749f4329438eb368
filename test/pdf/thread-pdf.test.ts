import { describe, expect, it } from 'vitest'
import { collectPdf } from '../../src/pdf/document.ts'
import { renderMessagePdf, renderThreadPdf } from '../../templates/pdf/thread.ts'
import type { MessagePdfView, PdfMessage, ThreadPdfView } from '../../templates/pdf/types.ts'
import { flat, occurrences, readBack } from './poppler.ts'

const phrase = 'Müller, Straße, Größe, Übergabe – „Zitat“ 100 €'

/** A 20 000-character German body: the phrase in varied sentences, with paragraph breaks. */
function longGermanBody(): string {
  const sentences = [
    `Sehr geehrte Damen und Herren, zu meinem Antrag: ${phrase}.`,
    'Die Nebenkostenabrechnung für das vergangene Jahr liegt bei, ebenso der Kindergeldbescheid.',
    `Bitte prüfen Sie auch die Angaben ${phrase} zur Heizkostennachzahlung.`,
    'Für Rückfragen erreichen Sie mich vormittags telefonisch oder über dieses Postfach.',
  ]
  let body = ''
  for (let i = 0; body.length < 20_000; i++) body += sentences[i % 4] + (i % 5 === 4 ? '\n\n' : ' ')
  return body.slice(0, 20_000)
}

const office = { name: 'Jobcenter Musterstadt', addressLines: ['Hauptstraße 1', '12345 Musterstadt'] }
const citizen = { name: 'Erika Müller', customerNumber: '123D456789' }
const generatedAt = new Date('2026-11-23T20:00:00Z')

function threadView(messages: PdfMessage[], over: Partial<ThreadPdfView> = {}): ThreadPdfView {
  return {
    office,
    citizen,
    thread: {
      reference: 'PK-2026-000123',
      categoryLabel: 'Veränderungsmitteilung',
      subject: 'Neue Miete ab Januar',
    },
    messages,
    generatedAt,
    language: 'de',
    ...over,
  }
}

const fromCitizen = (body: string, attachments: PdfMessage['attachments'] = []): PdfMessage => ({
  direction: 'citizen_to_office',
  sentAt: new Date('2026-11-20T09:15:00Z'),
  body,
  attachments,
})

const answer: PdfMessage = {
  direction: 'office_to_citizen',
  sentAt: new Date('2026-11-21T14:00:00Z'),
  body: 'Vielen Dank, wir prüfen Ihre Unterlagen.',
  attachments: [],
}

const attachments: PdfMessage['attachments'] = [
  { name: 'Mietvertrag.pdf', size: 1_234_567, state: 'clean' },
  { name: 'Kontoauszug.jpg', size: 532, state: 'pending' },
  { name: 'rechnung.pdf', size: 20_000, state: 'infected' },
  { name: 'tabelle.png', size: 48_100, state: 'rejected_type' },
]

describe('thread PDF', () => {
  const body = longGermanBody()
  const rendered = collectPdf(renderThreadPdf(threadView([fromCitizen(body, attachments), answer])))

  it('keeps every umlaut, ß, dash, quote and euro sign of a 20 000-character body as written', async () => {
    expect(body.length).toBe(20_000)
    // Footers sit between the pages' text; a phrase wrapped over a page break must still match.
    const footer = /Zeichen PK-2026-000123 · Erstellt am [\d.]+, [\d:]+ mit Postkorb\s+Seite \d+ von \d+/g
    const text = flat(
      readBack(await rendered)
        .pages.join('\n')
        .replace(footer, ' '),
    )
    for (const word of ['Müller', 'Straße', 'Größe', 'Übergabe', '–', '„Zitat“', '100 €']) {
      expect(text).toContain(word)
    }
    expect(occurrences(text, phrase)).toBe(occurrences(body, phrase))
    expect(occurrences(body, phrase)).toBeGreaterThan(100)
  })

  it('breaks a long body over several pages and says "Seite i von n" with the real n on every page', async () => {
    const { pages, info } = readBack(await rendered)
    const n = Number(info.Pages)
    expect(n).toBeGreaterThan(1)
    expect(pages).toHaveLength(n)
    pages.forEach((page, i) => {
      expect(page).toContain(`Seite ${i + 1} von ${n}`)
      expect(page).toContain('PK-2026-000123')
    })
  })

  it('prints the header blocks, both messages with sender and time, and the attachments with their check state', async () => {
    const text = flat(readBack(await rendered).pages.join('\n'))
    for (const part of [
      'Jobcenter Musterstadt',
      'Hauptstraße 1 12345 Musterstadt',
      'Erika Müller',
      'Kundennummer: 123D456789',
      'Datum Zeichen Anliegen 23.11.2026 PK-2026-000123 Veränderungsmitteilung',
      'Neue Miete ab Januar',
      'Nachricht 1 von 2 · Von: Erika Müller · Gesendet: 20.11.2026, 10:15',
      'Nachricht 2 von 2 · Von: Jobcenter Musterstadt · Gesendet: 21.11.2026, 15:00',
      'Anhänge',
      'Mietvertrag.pdf (1,2 MB) – geprüft',
      'Kontoauszug.jpg (532 Bytes) – wird geprüft',
      'rechnung.pdf (20,0 KB) – abgelehnt: Schadsoftware gefunden',
      'tabelle.png (48,1 KB) – abgelehnt: Dateityp nicht erlaubt',
    ]) {
      expect(text).toContain(part)
    }
    expect(text.indexOf('Nachricht 1 von 2')).toBeLessThan(text.indexOf('Nachricht 2 von 2'))
  })

  it('embeds every font it uses, DejaVu Sans only, and never one of the 14 standard fonts', async () => {
    const { fonts } = readBack(await rendered)
    expect(fonts.map((f) => f.name.replace(/^[A-Z]{6}\+/, '')).sort()).toEqual([
      'DejaVuSans',
      'DejaVuSans-Bold',
    ])
    for (const f of fonts) expect(f).toMatchObject({ embedded: true, type: 'CID TrueType' })
  })

  it('carries title, author, subject, creation date, language and the PDF/A-2b identification', async () => {
    const pdf = await rendered
    const { info, xmp } = readBack(pdf)
    expect(info).toMatchObject({
      Title: 'Nachrichtenverlauf: Neue Miete ab Januar',
      Author: 'Postkorb',
      Subject: 'Jobcenter Musterstadt · Zeichen PK-2026-000123 · Veränderungsmitteilung',
      Encrypted: 'no',
      'PDF version': '1.7',
      'Page size': '595.28 x 841.89 pts (A4)',
    })
    expect(new Date(info.CreationDate ?? '').toISOString()).toBe(generatedAt.toISOString())
    expect(pdf.includes('/Lang (de-DE)')).toBe(true)
    expect(pdf.includes('/OutputIntents')).toBe(true)
    expect(xmp).toMatch(/<pdfaid:part>2<\/pdfaid:part>\s*<pdfaid:conformance>B<\/pdfaid:conformance>/)
    expect(xmp).toContain('<dc:title>')
    expect(xmp).toContain('<xmp:CreateDate>2026-11-23T20:00:00Z</xmp:CreateDate>')
  })
})

describe('PDF edge cases', () => {
  it('escapes a subject with & and < in the XMP metadata, and keeps it verbatim in the Info title', async () => {
    const subject = 'Miete <neu> & „Heizung“'
    const view = threadView([answer], { thread: { reference: 'R-1', categoryLabel: 'Allgemein', subject } })
    const { info, xmp } = readBack(await collectPdf(renderThreadPdf(view)))
    expect(info.Title).toBe(`Nachrichtenverlauf: ${subject}`)
    expect(xmp).toContain('Nachrichtenverlauf: Miete &lt;neu&gt; &amp; „Heizung“</rdf:li>')
  })

  it('wraps a URL longer than a line inside the text column instead of running off the page', async () => {
    const url = `https://www.example.org/antrag?token=${'x7'.repeat(300)}`
    const { words, pages } = readBack(
      await collectPdf(renderThreadPdf(threadView([fromCitizen(`Link: ${url} Ende`)]))),
    )
    expect(pages.join('').replace(/\s+/g, '')).toContain(url)
    const lines = words.filter((w) => /^(x7|7x)/.test(w.text))
    expect(lines.length).toBeGreaterThan(3)
    const rightEdge = 595.28 - 56.69 + 1
    for (const w of words) expect(w.xMax).toBeLessThanOrEqual(rightEdge)
  })

  it('draws characters the font lacks as U+FFFD and keeps emoji it has, rather than an invisible .notdef', async () => {
    const { pages } = readBack(
      await collectPdf(renderThreadPdf(threadView([fromCitizen('Grüße 中文 😀 Ende')]))),
    )
    const text = pages.join('')
    expect(text).toContain('Grüße \uFFFD\uFFFD 😀 Ende')
    expect(text).not.toContain('中')
  })

  it('renders the same view to the same bytes, so a repeated e-file delivery sends an identical document', async () => {
    const view = threadView([fromCitizen('Eins'), answer])
    const [a, b] = await Promise.all([collectPdf(renderThreadPdf(view)), collectPdf(renderThreadPdf(view))])
    expect(a.equals(b)).toBe(true)
  })

  it('says so when a thread holds no sent messages', async () => {
    const { pages } = readBack(await collectPdf(renderThreadPdf(threadView([]))))
    expect(flat(pages.join(''))).toContain('Dieser Verlauf enthält keine gesendeten Nachrichten.')
    expect(pages[0]).toContain('Seite 1 von 1')
  })

  it('labels everything in English for an English-speaking citizen', async () => {
    const view = threadView([fromCitizen('Hello', attachments.slice(0, 2))], { language: 'en' })
    const text = flat(readBack(await collectPdf(renderThreadPdf(view))).pages.join(''))
    for (const part of [
      'Page 1 of 1',
      'Customer number: 123D456789',
      'Message 1 of 1 · From: Erika Müller · Sent: 20/11/2026, 10:15',
      'Mietvertrag.pdf (1.2 MB) – checked',
      'Kontoauszug.jpg (532 Bytes) – being checked',
    ]) {
      expect(text).toContain(part)
    }
  })
})

describe('message PDF', () => {
  const view: MessagePdfView = {
    ...threadView([]),
    message: fromCitizen('Nur diese Nachricht.', attachments.slice(0, 1)),
  }

  it('shows one message with the thread header and without a "Nachricht i von n" counter', async () => {
    const { pages, info } = readBack(await collectPdf(renderMessagePdf(view)))
    const text = flat(pages.join(''))
    expect(info.Title).toBe('Nachricht: Neue Miete ab Januar')
    expect(text).toContain('Nachricht · Von: Erika Müller · Gesendet: 20.11.2026, 10:15 Nur diese Nachricht.')
    expect(text).toContain('Mietvertrag.pdf (1,2 MB) – geprüft')
    expect(text).not.toContain('von 1 ·')
    expect(text).toContain('Seite 1 von 1')
  })

  it('renders a one-message PDF in well under 300 ms once the fonts are loaded', async () => {
    await collectPdf(renderMessagePdf(view))
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()
      await collectPdf(renderMessagePdf(view))
      times.push(performance.now() - t0)
    }
    const median = times.sort((a, b) => a - b)[2] ?? Number.POSITIVE_INFINITY
    expect(median).toBeLessThan(300)
  })
})
