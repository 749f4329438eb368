import { FONT, PAGE, type PdfDoc, printable, useFont } from '../../src/pdf/document.ts'

/**
 * Drawing blocks shared by the message/thread PDFs and, later, the DIN 5008 letters: each draws at
 * the given position or at the cursor, wraps within its width, and leaves doc.y below itself.
 */

export const CONTENT_WIDTH = PAGE.width - PAGE.left - PAGE.right
const TEXT = '#000000'
const MUTED = '#555555'

/** Opens a new page when fewer than `height` points are left, so a heading never ends a page. */
export function ensureSpace(doc: PdfDoc, height: number): void {
  if (doc.y + height > doc.page.height - doc.page.margins.bottom) doc.addPage()
}

export type AddressBlock = { x: number; y: number; width: number; heading: string; lines: string[] }

/** A small grey heading, the first line bold, the rest regular; returns the y below it. */
export function addressBlock(doc: PdfDoc, b: AddressBlock): number {
  useFont(doc, FONT.regular, 8).fillColor(MUTED)
  doc.text(printable(doc, b.heading), b.x, b.y, { width: b.width })
  doc.moveDown(0.2)
  b.lines.forEach((line, i) => {
    useFont(doc, i === 0 ? FONT.bold : FONT.regular, 10).fillColor(TEXT)
    doc.text(printable(doc, line), b.x, doc.y, { width: b.width })
  })
  return doc.y
}

export type InfoBlock = { x: number; y: number; width: number; labelWidth: number; rows: [string, string][] }

/** Label/value rows (date, reference, category…), values wrap in their column; returns the y below. */
export function infoBlock(doc: PdfDoc, b: InfoBlock): number {
  let y = b.y
  for (const [label, value] of b.rows) {
    useFont(doc, FONT.regular, 8).fillColor(MUTED)
    doc.text(printable(doc, label), b.x, y + 1.5, { width: b.labelWidth - 6 })
    const labelBottom = doc.y
    useFont(doc, FONT.regular, 10).fillColor(TEXT)
    doc.text(printable(doc, value), b.x + b.labelWidth, y, { width: b.width - b.labelWidth })
    y = Math.max(doc.y, labelBottom) + 2
  }
  return y
}

/** The bold subject line at the left margin. */
export function subjectLine(doc: PdfDoc, text: string, y: number): void {
  useFont(doc, FONT.bold, 13).fillColor(TEXT)
  doc.text(printable(doc, text), PAGE.left, y, { width: CONTENT_WIDTH })
}

/** A hairline across the content width at the cursor. */
export function rule(doc: PdfDoc): void {
  doc.moveDown(0.3)
  doc
    .moveTo(PAGE.left, doc.y)
    .lineTo(PAGE.left + CONTENT_WIDTH, doc.y)
    .lineWidth(0.5)
    .strokeColor('#999999')
    .stroke()
  doc.moveDown(0.5)
}

/** A bold lead followed by regular text on one wrapped line, e.g. "Nachricht 1 von 2 · Von: …". */
export function leadLine(doc: PdfDoc, lead: string, rest: string, size = 10): void {
  useFont(doc, FONT.bold, size).fillColor(TEXT)
  doc.text(printable(doc, lead), PAGE.left, doc.y, { width: CONTENT_WIDTH, continued: rest !== '' })
  if (rest === '') return
  useFont(doc, FONT.regular, size).fillColor(MUTED)
  doc.text(printable(doc, rest))
}

/**
 * Running text: wraps at spaces and hyphens, chops words and URLs wider than the column, and breaks
 * pages on its own. Empty lines stay as paragraph gaps.
 */
export function bodyText(doc: PdfDoc, text: string): void {
  useFont(doc, FONT.regular, 10.5).fillColor(TEXT)
  doc.text(printable(doc, text.trimEnd()), PAGE.left, doc.y, { width: CONTENT_WIDTH, lineGap: 2.5 })
}

/** A bulleted list under a small heading; each item wraps with a hanging indent. */
export function itemList(doc: PdfDoc, heading: string, items: string[]): void {
  ensureSpace(doc, 40)
  useFont(doc, FONT.bold, 9).fillColor(TEXT)
  doc.text(printable(doc, heading), PAGE.left, doc.y, { width: CONTENT_WIDTH })
  doc.moveDown(0.2)
  useFont(doc, FONT.regular, 9).fillColor(TEXT)
  for (const item of items) {
    ensureSpace(doc, 14)
    const y = doc.y
    doc.text('•', PAGE.left + 4, y, { width: 10, lineBreak: false })
    doc.text(printable(doc, item), PAGE.left + 14, y, { width: CONTENT_WIDTH - 14, lineGap: 1 })
  }
}
