import { collectPdf } from '../src/pdf/document.ts'
import { renderMessagePdf } from '../templates/pdf/thread.ts'
import type { MessagePdfView } from '../templates/pdf/types.ts'
import type { Figure } from './lib/figures.ts'
import { median, progress } from './lib/stats.ts'

/**
 * PDF export cost (issue 4): renders per second of one message that fills two A4 pages, and of a
 * 20 000-character message (the longest body the API accepts), on one core, stream collected into
 * a Buffer as the e-file delivery does. Target ≥ 20/s for the 2-page message: rendering is
 * synchronous, so that caps the event-loop stall of one PDF at 50 ms in the API process.
 */

const sentence =
  'Anbei übersende ich die fehlenden Unterlagen für meinen Weiterbewilligungsantrag: Kindergeldbescheid, ' +
  'Nebenkostenabrechnung und Gehaltsabrechnungen von Januar bis März (Heizkosten 312,40 €). '

function view(body: string): MessagePdfView {
  return {
    office: { name: 'Jobcenter Musterstadt', addressLines: ['Hauptstraße 1', '12345 Musterstadt'] },
    citizen: { name: 'Erika Müller', customerNumber: '123D456789' },
    thread: {
      reference: 'PK-2026-000123',
      categoryLabel: 'Weiterbewilligung',
      subject: 'Unterlagen zum WBA',
    },
    message: {
      direction: 'citizen_to_office',
      sentAt: new Date('2026-11-20T09:15:00Z'),
      body,
      attachments: [
        { name: 'Kindergeldbescheid.pdf', size: 482_113, state: 'clean' },
        { name: 'Nebenkosten.jpg', size: 1_210_400, state: 'pending' },
      ],
    },
    generatedAt: new Date('2026-11-23T20:00:00Z'),
    language: 'de',
  }
}

const pageCount = (pdf: Buffer) => pdf.toString('latin1').match(/\/Type \/Page\n/g)?.length ?? 0

/** The longest body of whole sentences that still fits on two pages. */
async function twoPageBody(): Promise<string> {
  let body = sentence
  while (pageCount(await collectPdf(renderMessagePdf(view(body + sentence)))) <= 2) body += sentence
  return body
}

async function rate(v: MessagePdfView, rounds = 7, roundMs = 300) {
  for (let i = 0; i < 5; i++) await collectPdf(renderMessagePdf(v))
  const samples: number[] = []
  for (let r = 0; r < rounds; r++) {
    let n = 0
    const t0 = performance.now()
    while (performance.now() - t0 < roundMs) {
      await collectPdf(renderMessagePdf(v))
      n++
    }
    samples.push((n * 1000) / (performance.now() - t0))
  }
  return { value: median(samples), samples }
}

export async function run(): Promise<Figure[]> {
  const t0 = performance.now()
  await collectPdf(renderMessagePdf(view(sentence)))
  const firstMs = performance.now() - t0
  const body = await twoPageBody()
  const pdf = await collectPdf(renderMessagePdf(view(body)))
  progress(`2-page message: ${body.length} characters, ${pageCount(pdf)} pages, ${pdf.length} bytes`)
  const longBody = sentence.repeat(Math.ceil(20_000 / sentence.length)).slice(0, 20_000)
  const longPdf = await collectPdf(renderMessagePdf(view(longBody)))
  return [
    {
      name: 'PDF: first render in the process (font parsing included)',
      value: firstMs,
      unit: 'ms',
      note: 'parses both DejaVu TTFs once; later renders reuse them',
    },
    {
      name: 'PDF: render a 2-page message, one core',
      unit: 'renders/s',
      ...(await rate(view(body))),
      target: { op: '>=', value: 20 },
      note: `${body.length} chars, ${pdf.length} bytes; target = at most 50 ms of synchronous work per PDF`,
    },
    {
      name: 'PDF: render a 20 000-character message, one core',
      unit: 'renders/s',
      ...(await rate(view(longBody), 5)),
      note: `${pageCount(longPdf)} pages, ${longPdf.length} bytes: the largest body the API accepts`,
    },
  ]
}
