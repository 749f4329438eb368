import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { create, type Font } from 'fontkit'
import PDFDocument from 'pdfkit'

/**
 * The pdfkit document every Postkorb PDF starts from: A4, DejaVu Sans embedded (never one of the 14
 * standard fonts), PDF/A-2b markers (XMP with pdfaid, sRGB output intent), document metadata and
 * buffered pages so footers can say "page x of y". Layouts live in templates/pdf/.
 */

export type PdfDoc = PDFKit.PDFDocument

/** The two embedded faces; registered per document under these names. */
export const FONT = { regular: 'postkorb-regular', bold: 'postkorb-bold' } as const
type FontName = (typeof FONT)[keyof typeof FONT]

export type PdfMetadata = {
  title: string
  subject: string
  /** BCP 47 tag for the catalog's /Lang, e.g. 'de-DE'. */
  lang: string
  /** Also the CreationDate: the same input renders the same bytes (the file ID derives from it). */
  createdAt: Date
  keywords?: string
}

/** A4 in points and the margins every layout shares (25 mm left as in DIN 5008, 20 mm right). */
export const PAGE = { width: 595.28, height: 841.89, left: 70.87, right: 56.69, top: 56.69, bottom: 70.87 }

type Fonts = { regular: Font; bold: Font }
let parsedFonts: Fonts | undefined

/**
 * The two TTFs, read and parsed once per process: parsing 1.4 MB of tables took ~35 ms of every
 * render. A fontkit Font is read-only after parsing; each document still builds its own subset.
 */
function fonts(): Fonts {
  if (parsedFonts) return parsedFonts
  const require = createRequire(import.meta.url)
  const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf')
  const parse = (file: string) => create(readFileSync(path.join(dir, file))) as Font
  parsedFonts = { regular: parse('DejaVuSans.ttf'), bold: parse('DejaVuSans-Bold.ttf') }
  return parsedFonts
}

/** A new document with fonts, metadata and PDF/A-2b set up; no page yet. */
export function createPdfDocument(meta: PdfMetadata): PdfDoc {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: PAGE.top, bottom: PAGE.bottom, left: PAGE.left, right: PAGE.right },
    autoFirstPage: false,
    bufferPages: true,
    pdfVersion: '1.7',
    subset: 'PDF/A-2b',
    lang: meta.lang,
    displayTitle: true,
    // null skips pdfkit's Helvetica default, so no standard font can slip into the file.
    font: null as unknown as string,
    info: {
      Title: meta.title,
      Author: 'Postkorb',
      Subject: meta.subject,
      Creator: 'Postkorb',
      Producer: 'Postkorb (PDFKit)',
      CreationDate: meta.createdAt,
      ...(meta.keywords ? { Keywords: meta.keywords } : {}),
    },
  })
  // pdfkit takes a parsed fontkit font as a source (PDFFontFactory.open); its d.ts only lists bytes.
  const { regular, bold } = fonts()
  doc.registerFont(FONT.regular, regular as unknown as Buffer)
  doc.registerFont(FONT.bold, bold as unknown as Buffer)
  escapeXmpValues(doc)
  doc.addPage()
  doc.font(FONT.regular)
  return doc
}

type Internals = { info: Record<string, unknown>; _addInfo: () => void }

/** pdfkit pastes Title/Subject/Author into the XMP unescaped; a subject with `&` or `<` would break it. */
function escapeXmpValues(doc: PdfDoc): void {
  const inner = doc as unknown as Internals
  const addInfo = inner._addInfo.bind(doc)
  inner._addInfo = () => {
    const info = inner.info
    inner.info = Object.fromEntries(
      Object.entries(info).map(([k, v]) => [k, typeof v === 'string' ? escapeXml(v) : v]),
    )
    try {
      addInfo()
    } finally {
      inner.info = info
    }
  }
}

const escapeXml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  )

/**
 * Text the current font can draw: NFC, CRLF → LF, tabs → spaces, other control characters dropped,
 * and every code point the font lacks (emoji, most CJK) replaced by U+FFFD, because PDF/A forbids
 * drawing the .notdef glyph.
 */
export function printable(doc: PdfDoc, text: string): string {
  const font = (doc as unknown as { _font: { font: Font } })._font.font
  let out = ''
  for (const ch of text.normalize('NFC').replace(/\r\n?/g, '\n').replace(/\t/g, '    ')) {
    const cp = ch.codePointAt(0) ?? 0
    if ((cp >= 0x20 && cp < 0x7f) || ch === '\n') out += ch
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp === 0xad) continue
    else if (font.hasGlyphForCodePoint(cp)) out += ch
    else if (!/\p{M}|\p{Cf}/u.test(ch)) out += '\uFFFD'
  }
  return out
}

/** Switches face and size in one call. */
export function useFont(doc: PdfDoc, name: FontName, size: number): PdfDoc {
  return doc.font(name).fontSize(size)
}

/**
 * Draws a footer on every buffered page, e.g. "Seite 2 von 5", then ends the document. The bottom
 * margin is lifted while drawing, otherwise text below it would open a new page.
 */
export function finishWithFooters(doc: PdfDoc, footer: (page: number, pages: number) => string[]): Readable {
  const { start, count } = doc.bufferedPageRange()
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i)
    const margin = doc.page.margins.bottom
    doc.page.margins.bottom = 0
    const [left = '', right = ''] = footer(i - start + 1, count)
    const y = PAGE.height - PAGE.bottom + 24
    const width = PAGE.width - PAGE.left - PAGE.right
    useFont(doc, FONT.regular, 8).fillColor('#444444')
    doc.text(printable(doc, left), PAGE.left, y, { width: width * 0.7, lineBreak: false, ellipsis: true })
    doc.text(printable(doc, right), PAGE.left, y, { width, align: 'right', lineBreak: false })
    doc.page.margins.bottom = margin
  }
  doc.end()
  return doc
}

/** Collects a rendered PDF stream into one Buffer (the e-file delivery wants bytes). */
export async function collectPdf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
