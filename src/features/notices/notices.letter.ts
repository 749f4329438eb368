import { PDFDocument } from 'pdf-lib'
import { type LetterView, renderLetterPdf } from '../../../templates/pdf/letter.ts'
import { collectPdf } from '../../pdf/document.ts'

/** The cover letter with the notice's own pages appended: what goes into the envelope. */
export async function buildLetter(view: Omit<LetterView, 'appendedPages'>, noticePdf: Buffer | null) {
  const appended = noticePdf ? await PDFDocument.load(noticePdf) : null
  const letter = await collectPdf(renderLetterPdf({ ...view, appendedPages: appended?.getPageCount() ?? 0 }))
  if (!appended) {
    const doc = await PDFDocument.load(letter)
    return { pdf: letter, pages: doc.getPageCount() }
  }
  const merged = await PDFDocument.load(letter)
  const pages = await merged.copyPages(appended, appended.getPageIndices())
  for (const page of pages) merged.addPage(page)
  const bytes = Buffer.from(await merged.save())
  return { pdf: bytes, pages: merged.getPageCount() }
}

/** Whether the bytes are a PDF that pdf-lib can open (not encrypted, not broken): the notice type check. */
export async function isReadablePdf(
  bytes: Buffer,
): Promise<{ ok: true; pages: number } | { ok: false; reason: string }> {
  if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-')
    return { ok: false, reason: 'not a PDF (magic bytes)' }
  try {
    const doc = await PDFDocument.load(bytes)
    if (doc.getPageCount() === 0) return { ok: false, reason: 'PDF without pages' }
    return { ok: true, pages: doc.getPageCount() }
  } catch (err) {
    return {
      ok: false,
      reason: err instanceof Error && /encrypt/i.test(err.message) ? 'encrypted PDF' : 'unreadable PDF',
    }
  }
}
