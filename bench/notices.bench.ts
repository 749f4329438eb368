import { PDFDocument, StandardFonts } from 'pdf-lib'
import { buildLetter } from '../src/features/notices/notices.letter.ts'
import type { Figure } from './lib/figures.ts'
import { median, progress } from './lib/stats.ts'

/**
 * Postal notices (issue 7): letters per second of the DIN 5008 cover letter alone (a structured-text
 * notice) and with a 4-page notice PDF appended by pdf-lib, on one core, as notice.deliver builds
 * them. Target ≥ 10/s with the appended notice: a night's batch of 10 000 letters in under 17 min
 * on one worker, and each render (synchronous pdfkit + pdf-lib) stalls its worker ≤ 100 ms.
 */

const view = {
  returnAddress: 'Jobcenter Musterstadt · Postfach 10 20 30 · 12345 Musterstadt',
  recipient: ['Erika Müller', 'Heidestraße 17', '51147 Köln'],
  reference: 'PK-ABCDEFGHJKLM',
  customerNumber: '123D456789',
  noticeTypeLabel: 'benefit_decision',
  date: new Date('2026-12-01T09:00:00Z'),
  subject: 'Bewilligungsbescheid Bürgergeld Januar bis Juni 2027',
  officeName: 'Jobcenter Musterstadt',
}
const text = {
  paragraphs: [
    'Ihnen werden für die Zeit vom 01.01.2027 bis 30.06.2027 Leistungen zur Sicherung des Lebensunterhalts in Höhe von monatlich 563,00 Euro bewilligt.',
    'Die Berechnung der Leistungen entnehmen Sie bitte den beigefügten Berechnungsbögen. Änderungen in Ihren Verhältnissen teilen Sie uns bitte unverzüglich mit.',
  ],
}

async function noticePdf(pages: number): Promise<Buffer> {
  const doc = await PDFDocument.create()
  const font = await doc.embedFont(StandardFonts.Helvetica)
  for (let i = 1; i <= pages; i++) {
    const page = doc.addPage([595.28, 841.89])
    for (let line = 0; line < 45; line++)
      page.drawText(
        `Seite ${i} Zeile ${line}: Berechnung der Leistungen, Regelbedarf, Kosten der Unterkunft`,
        {
          x: 56,
          y: 780 - line * 16,
          size: 10,
          font,
        },
      )
  }
  return Buffer.from(await doc.save())
}

async function rate(build: () => Promise<unknown>, rounds = 7, roundMs = 400) {
  for (let i = 0; i < 3; i++) await build()
  const samples: number[] = []
  for (let r = 0; r < rounds; r++) {
    let n = 0
    const t0 = performance.now()
    while (performance.now() - t0 < roundMs) {
      await build()
      n++
    }
    samples.push((n * 1000) / (performance.now() - t0))
  }
  return { value: median(samples), samples }
}

export async function run(): Promise<Figure[]> {
  const attachment = await noticePdf(4)
  const merged = await buildLetter({ ...view, text: null }, attachment)
  progress(`letter + 4-page notice: ${merged.pages} pages, ${merged.pdf.length} bytes`)
  const alone = await rate(() => buildLetter({ ...view, text }, null))
  const withNotice = await rate(() => buildLetter({ ...view, text: null }, attachment))
  return [
    {
      name: 'postal letter (structured text, 1 page) renders per second, one core',
      value: alone.value,
      unit: '/s',
      samples: alone.samples,
    },
    {
      name: 'postal letter + appended 4-page notice PDF (pdf-lib merge) per second, one core',
      value: withNotice.value,
      unit: '/s',
      target: { op: '>=', value: 10 },
      samples: withNotice.samples,
    },
  ]
}
