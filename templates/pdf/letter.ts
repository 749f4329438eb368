import type { Readable } from 'node:stream'
import {
  createPdfDocument,
  FONT,
  finishWithFooters,
  PAGE,
  type PdfDoc,
  printable,
  useFont,
} from '../../src/pdf/document.ts'
import { bodyText, CONTENT_WIDTH, infoBlock, subjectLine } from './blocks.ts'

/**
 * A DIN 5008 letter (form B) for a window envelope (DL/C6 with a 90 × 45 mm window, DIN 680):
 * return address line at the foot of the 17.7 mm endorsement zone, the recipient in the address
 * zone of the 85 × 45 mm address field that starts 45 mm from the top and 20 mm from the left,
 * the information block at 125 mm / 50 mm, subject at 98.46 mm, fold marks at 105 and 210 mm, a
 * hole mark at 148.5 mm, and "Seite x von y" on every page. The notice's own pages follow it.
 */

const MM = 72 / 25.4
export const mm = (v: number) => v * MM

/** The address field and its zones, in points from the top left of the page. */
export const ADDRESS_FIELD = {
  x: mm(20),
  y: mm(45),
  width: mm(85),
  height: mm(45),
  /** Where the recipient zone starts (below the 17.7 mm endorsement zone). */
  recipientY: mm(45 + 17.7),
  /** Text starts 5 mm inside the field. */
  textX: mm(25),
} as const

export type LetterView = {
  /** One line: the office and its postal address, as the post office returns undeliverable mail. */
  returnAddress: string
  /** Recipient lines: name first, postcode and town last (at most 6). */
  recipient: string[]
  reference: string
  customerNumber: string
  noticeTypeLabel: string
  date: Date
  subject: string
  /** The notice as text (structured text notices), or null when its PDF pages follow the letter. */
  text: { salutation?: string; paragraphs: string[]; closing?: string } | null
  /** Pages of the appended notice PDF (0 for text notices). */
  appendedPages: number
  officeName: string
}

const dateDe = (d: Date) =>
  new Intl.DateTimeFormat('de-DE', {
    timeZone: 'Europe/Berlin',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).format(d)

export function renderLetterPdf(view: LetterView): Readable {
  const doc = createPdfDocument({
    title: `Bescheid ${view.reference}`,
    subject: `${view.officeName} · Zeichen ${view.reference}`,
    lang: 'de-DE',
    createdAt: view.date,
    keywords: view.reference,
  })
  marks(doc)
  addressField(doc, view)
  infoBlock(doc, {
    x: mm(125),
    y: mm(50),
    width: mm(75),
    labelWidth: mm(27),
    rows: [
      ['Unser Zeichen', view.reference],
      ['Kundennummer', view.customerNumber],
      ['Art', view.noticeTypeLabel],
      ['Datum', dateDe(view.date)],
    ],
  })
  subjectLine(doc, view.subject, mm(98.46))
  doc.moveDown(1.2)
  if (view.text) {
    bodyText(doc, view.text.salutation ?? 'Sehr geehrte Damen und Herren,')
    doc.moveDown(0.6)
    for (const p of view.text.paragraphs) {
      bodyText(doc, p)
      doc.moveDown(0.6)
    }
    bodyText(doc, view.text.closing ?? `Mit freundlichen Grüßen\nIhr ${view.officeName}`)
  } else {
    bodyText(doc, 'Sehr geehrte Damen und Herren,')
    doc.moveDown(0.6)
    bodyText(
      doc,
      `anbei erhalten Sie Ihren Bescheid. Er folgt diesem Anschreiben auf ${view.appendedPages === 1 ? 'einer Seite' : `${view.appendedPages} Seiten`}.`,
    )
    doc.moveDown(0.6)
    bodyText(doc, `Mit freundlichen Grüßen\nIhr ${view.officeName}`)
    doc.moveDown(1)
    bodyText(doc, `Anlage: Bescheid (${view.appendedPages} ${view.appendedPages === 1 ? 'Seite' : 'Seiten'})`)
  }
  doc.moveDown(1.2)
  useFont(doc, FONT.regular, 8.5).fillColor('#333333')
  doc.text(
    printable(
      doc,
      'Hinweis: Mit eingeschalteter Online-Kommunikation erhalten Sie Bescheide in Ihrem Postkorb statt per Post.',
    ),
    PAGE.left,
    doc.y,
    { width: CONTENT_WIDTH },
  )
  return finishWithFooters(doc, (page, pages) => [`Zeichen ${view.reference}`, `Seite ${page} von ${pages}`])
}

function addressField(doc: PdfDoc, view: LetterView): void {
  const width = ADDRESS_FIELD.width - mm(10)
  // The return line sits at the foot of the endorsement zone, small, so it shows in the window too.
  useFont(doc, FONT.regular, 6.5).fillColor('#000000')
  doc.text(printable(doc, view.returnAddress), ADDRESS_FIELD.textX, ADDRESS_FIELD.recipientY - mm(4), {
    width,
    lineBreak: false,
    ellipsis: true,
    underline: true,
  })
  let y = ADDRESS_FIELD.recipientY + mm(1)
  useFont(doc, FONT.regular, 10)
  for (const line of view.recipient.slice(0, 6)) {
    doc.text(printable(doc, line), ADDRESS_FIELD.textX, y, { width, lineBreak: false, ellipsis: true })
    y += mm(4.23)
  }
}

/** Fold marks (105 mm, 210 mm) and the hole mark (148.5 mm) at the left edge of the first page. */
function marks(doc: PdfDoc): void {
  doc.save().lineWidth(0.4).strokeColor('#000000')
  for (const [y, length] of [
    [105, 5],
    [148.5, 8],
    [210, 5],
  ] as const) {
    doc
      .moveTo(mm(3), mm(y))
      .lineTo(mm(3 + length), mm(y))
      .stroke()
  }
  doc.restore()
}
