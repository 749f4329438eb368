import { Transform, type TransformCallback } from 'node:stream'

/**
 * A pass-through that checks a raw RFC 822 message against limits while it streams, before any parser
 * sees it (mailparser buffers everything and sets no limits): total size, header fields, MIME parts,
 * attachment-like leaf parts and multipart nesting, and that every opened multipart is closed again.
 * It keeps at most one header field (or the first bytes of one body line) in memory.
 */

export type MimeLimits = {
  maxBytes: number
  maxHeaders: number
  maxParts: number
  maxAttachments: number
}

export type MimeShape = { size: number; headerCount: number; partCount: number; attachmentCount: number }

export type MimeRejection =
  | 'too_large'
  | 'too_many_headers'
  | 'too_many_parts'
  | 'too_many_attachments'
  | 'header_too_long'
  | 'too_deep'
  | 'no_boundary'
  | 'truncated'

/** Why a raw mail was refused, with what had been counted up to that point. */
export class MimeLimitError extends Error {
  readonly reason: MimeRejection
  readonly shape: MimeShape
  constructor(reason: MimeRejection, shape: MimeShape) {
    super(`raw mail refused: ${reason}`)
    this.name = 'MimeLimitError'
    this.reason = reason
    this.shape = shape
  }
}

export const MAX_HEADER_FIELD_BYTES = 64 * 1024
export const MAX_MULTIPART_DEPTH = 8
// Boundaries are at most 70 characters (RFC 2046); a delimiter line needs "--", the boundary and "--".
const BODY_LINE_PREFIX = 160

type Block = { contentType: string; disposition: string; encoding: string }

export function mimeScanner(limits: MimeLimits): { stream: Transform; shape: () => MimeShape } {
  const shape: MimeShape = { size: 0, headerCount: 0, partCount: 0, attachmentCount: 0 }
  const boundaries: string[] = []
  let inHeaders = true
  let isTopLevel = true
  let block: Block = { contentType: '', disposition: '', encoding: '' }
  let embedded = 0
  let field: Buffer[] = []
  let fieldBytes = 0
  let line: Buffer[] = []
  let lineBytes = 0
  // A body line that does not start with "-" can be no delimiter: it is skipped without a copy.
  let skipLine = false

  const fail = (reason: MimeRejection) => new MimeLimitError(reason, { ...shape })

  const finishField = () => {
    if (fieldBytes === 0) return
    const text = Buffer.concat(field).toString('latin1')
    field = []
    fieldBytes = 0
    const colon = text.indexOf(':')
    if (colon < 0) return
    const name = text.slice(0, colon).trim().toLowerCase()
    const value = text
      .slice(colon + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim()
    if (name === 'content-type') block.contentType = value
    else if (name === 'content-disposition') block.disposition = value
    else if (name === 'content-transfer-encoding') block.encoding = value.toLowerCase()
  }

  // End of a header block: a multipart opens a boundary, a leaf may be an attachment.
  const finishBlock = (): MimeRejection | null => {
    finishField()
    const type = (block.contentType.split(';')[0] ?? '').trim().toLowerCase()
    if (type.startsWith('multipart/')) {
      const boundary = /boundary\s*=\s*(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(block.contentType)
      const value = boundary?.[1] ?? boundary?.[2]
      if (!value) return 'no_boundary'
      if (boundaries.length >= MAX_MULTIPART_DEPTH) return 'too_deep'
      boundaries.push(value)
    } else if (!isTopLevel || type !== '') {
      if (isAttachmentLike(type, block)) shape.attachmentCount++
      if (shape.attachmentCount > limits.maxAttachments) return 'too_many_attachments'
    }
    // The parser descends into an unencoded attached message: so do the limits, header block and all.
    const descend = isEmbeddedMessage(type, block.encoding)
    if (descend && ++embedded > MAX_MULTIPART_DEPTH) return 'too_deep'
    inHeaders = descend
    isTopLevel = false
    block = { contentType: '', disposition: '', encoding: '' }
    return null
  }

  const headerLine = (bytes: Buffer): MimeRejection | null => {
    if (bytes.length === 0) return finishBlock()
    // A part without headers or blank line ("--b" right after "--b"): the delimiter ends the block.
    if (!isTopLevel && bytes[0] === 0x2d && bytes[1] === 0x2d && isDelimiter(bytes)) {
      const problem = finishBlock()
      return problem ?? bodyLine(bytes)
    }
    const first = bytes[0]
    if (first === 0x20 || first === 0x09) {
      if (fieldBytes === 0) return null
    } else {
      finishField()
      shape.headerCount++
      if (shape.headerCount > limits.maxHeaders) return 'too_many_headers'
    }
    fieldBytes += bytes.length + 1
    if (fieldBytes > MAX_HEADER_FIELD_BYTES) return 'header_too_long'
    field.push(bytes, NEWLINE)
    return null
  }

  const isDelimiter = (bytes: Buffer) => {
    const text = bytes.toString('latin1').replace(/[ \t]+$/, '')
    return boundaries.some((b) => text === `--${b}` || text === `--${b}--`)
  }

  const bodyLine = (bytes: Buffer): MimeRejection | null => {
    if (boundaries.length === 0 || bytes[0] !== 0x2d || bytes[1] !== 0x2d) return null
    const text = bytes.toString('latin1').replace(/[ \t]+$/, '')
    for (let i = boundaries.length - 1; i >= 0; i--) {
      const delimiter = `--${boundaries[i]}`
      if (text === `${delimiter}--`) {
        boundaries.length = i
        return null
      }
      if (text === delimiter) {
        boundaries.length = i + 1
        shape.partCount++
        if (shape.partCount > limits.maxParts) return 'too_many_parts'
        inHeaders = true
        return null
      }
    }
    return null
  }

  const endLine = (): MimeRejection | null => {
    if (skipLine) {
      skipLine = false
      return null
    }
    let bytes = line.length === 1 ? (line[0] as Buffer) : Buffer.concat(line)
    line = []
    lineBytes = 0
    if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1)
    return inHeaders ? headerLine(bytes) : bodyLine(bytes)
  }

  // Header lines are kept whole (up to the field limit); of a body line only its first bytes matter.
  const addToLine = (piece: Buffer): MimeRejection | null => {
    if (skipLine) return null
    if (!inHeaders && lineBytes === 0 && piece.length > 0 && piece[0] !== 0x2d) {
      skipLine = true
      return null
    }
    const cap = inHeaders ? MAX_HEADER_FIELD_BYTES + 2 : BODY_LINE_PREFIX
    if (lineBytes >= cap) return inHeaders ? 'header_too_long' : null
    const kept = piece.subarray(0, cap - lineBytes)
    line.push(Buffer.from(kept))
    lineBytes += kept.length
    return null
  }

  const scan = (chunk: Buffer): MimeRejection | null => {
    shape.size += chunk.length
    if (shape.size > limits.maxBytes) return 'too_large'
    let at = 0
    while (at < chunk.length) {
      const nl = chunk.indexOf(0x0a, at)
      const end = nl < 0 ? chunk.length : nl
      const problem = addToLine(chunk.subarray(at, end))
      if (problem) return problem
      if (nl < 0) break
      const lineProblem = endLine()
      if (lineProblem) return lineProblem
      at = nl + 1
    }
    return null
  }

  const stream = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const problem = scan(chunk)
      if (problem) return done(fail(problem))
      done(null, chunk)
    },
    flush(done: TransformCallback) {
      const problem = lineBytes > 0 ? endLine() : null
      if (problem) return done(fail(problem))
      if (inHeaders && !isTopLevel) return done(fail('truncated'))
      if (boundaries.length > 0) return done(fail('truncated'))
      done()
    },
  })
  return { stream, shape: () => ({ ...shape }) }
}

const NEWLINE = Buffer.from('\n')

const isEmbeddedMessage = (type: string, encoding: string) =>
  (type === 'message/rfc822' || type === 'message/global') &&
  !['base64', 'quoted-printable'].includes(encoding)

// What a mail client shows as an attachment: declared so, named, or neither text nor a container.
function isAttachmentLike(type: string, block: Block): boolean {
  const disposition = block.disposition.split(';')[0]?.trim().toLowerCase() ?? ''
  if (disposition === 'attachment') return true
  if (/\b(file)?name\*?\s*=/i.test(block.disposition) || /\bname\*?\s*=/i.test(block.contentType)) return true
  return type !== '' && type !== 'text/plain' && type !== 'text/html' && !type.startsWith('multipart/')
}
