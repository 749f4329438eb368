import { Writable } from 'node:stream'
import { fileTypeFromBuffer } from 'file-type'
import { allowedUploadTypes, extensionOf, normaliseDeclaredType } from '../attachments/attachments.names.ts'
import { imageDimensions } from './image-header.ts'
import { findActiveContent } from './pdf-active-content.ts'

// file-type reads at most a few KiB; JPEG headers (EXIF, ICC, XMP before the frame) need more.
const HEAD_BYTES = 512 * 1024
const TAIL_BYTES = 1024
const SNIFF_BYTES = 512
const PDF_MAGIC = Buffer.from('%PDF-')
const MARKUP = /<(script|html|svg|body|iframe|object|embed|!doctype|\?xml)[\s>/]/i

/** What one pass over the decrypted content collected: head, tail, size and (PDFs only) the whole file. */
export type Inspection = { head: Buffer; tail: Buffer; size: number; pdf: Buffer | null }

// A PDF is judged in one piece. Copying it into a fresh buffer per upload cost about 0.3 ms of CPU per
// 100 KiB file here (allocation and the collections it brings on), and a fresh 1 MiB buffer is mapped
// page by page as it is written (~1.8 ms under the routing bench's load), so PDFs up to 4 MiB (most
// scanned letters) are assembled in reused buffers, which go back once the judging callback has
// finished with them. A buffer's pages become resident only as far as files have filled it, so
// the 4 buffers hold at most 16 MiB.
const POOLED_BYTES = 4 * 1024 * 1024
const POOL_MAX = 4
const pool: Buffer[] = []

/**
 * A sink that collects an Inspection while the same bytes stream to clamd; bounded by the upload
 * limit. `inspect` hands the Inspection to fn once the sink has finished; its buffers are valid
 * only until fn's promise settles, so fn must keep no reference to them.
 */
export function inspector(): {
  sink: Writable
  inspect: <T>(fn: (ins: Inspection) => Promise<T>) => Promise<T>
} {
  const head: Buffer[] = []
  const pdf: Buffer[] = []
  let headLength = 0
  let tail = Buffer.alloc(0)
  let size = 0
  let isPdf: boolean | null = null
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      size += chunk.length
      if (headLength < HEAD_BYTES) {
        const part = chunk.subarray(0, HEAD_BYTES - headLength)
        head.push(part)
        headLength += part.length
      }
      if (isPdf === null && headLength >= PDF_MAGIC.length)
        isPdf = Buffer.concat(head).subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)
      if (isPdf !== false) pdf.push(chunk)
      tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - TAIL_BYTES))])
      if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES)
      cb()
    },
  })
  return {
    sink,
    async inspect(fn) {
      if (!isPdf) return fn({ head: Buffer.concat(head), tail, size, pdf: null })
      // A PDF's head is the start of the whole file: one copy of the bytes, not two.
      const pooled = size <= POOLED_BYTES ? (pool.pop() ?? Buffer.allocUnsafeSlow(POOLED_BYTES)) : null
      const whole = pooled ? pooled.subarray(0, size) : Buffer.allocUnsafe(size)
      let at = 0
      for (const part of pdf) at += part.copy(whole, at)
      try {
        return await fn({ head: whole.subarray(0, HEAD_BYTES), tail, size, pdf: whole })
      } finally {
        if (pooled && pool.length < POOL_MAX) pool.push(pooled)
      }
    },
  }
}

/** Why a file was refused by type; the code maps to the citizen's German/English text. */
export type TypeReason =
  | 'empty'
  | 'markup'
  | 'unknown_type'
  | 'not_allowed'
  | 'type_mismatch'
  | 'extension_mismatch'
  | 'pdf_no_header'
  | 'pdf_truncated'
  | 'pdf_active_content'
  | 'pdf_unscannable'
  | 'image_unreadable'
  | 'image_too_large'
  | 'too_large_for_scanner'

export type TypeVerdict =
  | { ok: true; type: string }
  | { ok: false; reason: TypeReason; detectedType: string | null; detail?: string }

export type TypeRules = { allowedTypes: readonly string[]; maxImagePixels: number }

/**
 * The type check: the bytes' type (file-type) must be allowed and agree with the declared type and
 * the name's extension; PDFs need their header and %%EOF and no active content; images must declare
 * a sane size in their header.
 */
export async function judgeType(
  ins: Inspection,
  declared: { type: string; name: string },
  rules: TypeRules,
): Promise<TypeVerdict> {
  const refuse = (reason: TypeReason, detectedType: string | null = null, detail?: string): TypeVerdict => ({
    ok: false,
    reason,
    detectedType,
    ...(detail ? { detail } : {}),
  })
  if (ins.size === 0) return refuse('empty')
  if (looksLikeMarkup(ins.head)) return refuse('markup', 'text/html')
  const declaredType = normaliseDeclaredType(declared.type)
  const found = await fileTypeFromBuffer(ins.head)
  if (!found) return declaredType === 'application/pdf' ? refuse('pdf_no_header') : refuse('unknown_type')
  const detected = found.mime
  if (!rules.allowedTypes.includes(detected)) return refuse('not_allowed', detected)
  if (declaredType !== detected) return refuse('type_mismatch', detected)
  if (!allowedUploadTypes[detected]?.includes(extensionOf(declared.name)))
    return refuse('extension_mismatch', detected)
  if (detected === 'application/pdf') return judgePdf(ins, refuse)
  const dims = imageDimensions(ins.head, detected)
  if (!dims || dims.width === 0 || dims.height === 0) return refuse('image_unreadable', detected)
  if (dims.width * dims.height > rules.maxImagePixels)
    return refuse('image_too_large', detected, `${dims.width}x${dims.height}`)
  return { ok: true, type: detected }
}

function judgePdf(ins: Inspection, refuse: (r: TypeReason, t?: string | null, d?: string) => TypeVerdict) {
  const type = 'application/pdf'
  if (!ins.pdf || !ins.head.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC))
    return refuse('pdf_no_header', type)
  if (!ins.tail.includes('%%EOF')) return refuse('pdf_truncated', type)
  const finding = findActiveContent(ins.pdf)
  if (finding && 'name' in finding) return refuse('pdf_active_content', type, finding.name)
  if (finding) return refuse('pdf_unscannable', type, finding.unscannable)
  return { ok: true as const, type }
}

// Browsers sniff HTML from the first bytes whatever the name says; a BOM or whitespace may lead.
function looksLikeMarkup(head: Buffer): boolean {
  const start = head
    .subarray(0, SNIFF_BYTES)
    .toString('latin1')
    .replace(/^(\xef\xbb\xbf|\xfe\xff|\xff\xfe)/, '')
  return /^\s*</.test(start) || MARKUP.test(start)
}
