import { inflateSync } from 'node:zlib'

/** PDF names that run code, start programs or carry files; any of them refuses the PDF. */
const ACTIVE_NAMES = new Set([
  'JavaScript',
  'JS',
  'Launch',
  'EmbeddedFile',
  'EmbeddedFiles',
  'OpenAction',
  'RichMedia',
  'GoToE',
])

// A name is "/" followed by regular characters (PDF 32000-1 §7.3.5); "#xx" escapes any byte.
const REGULAR = new Uint8Array(256).fill(1)
for (const ch of ' \t\n\r\f\0()<>[]{}/%') REGULAR[ch.charCodeAt(0)] = 0
// Only names that can spell an active one are read: its first letter, or an escape, comes first.
const FIRST = new Uint8Array(256)
for (const ch of 'JLEORG#') FIRST[ch.charCodeAt(0)] = 1
const SLASH = 0x2f
const STREAM = Buffer.from('stream')
const ENDSTREAM = Buffer.from('endstream')
const PER_STREAM_MAX = 16 * 1024 * 1024
const TOTAL_INFLATE_MAX = 128 * 1024 * 1024

export type PdfFinding = { name: string } | { unscannable: string } | null

/** The decoded name with its #xx escapes resolved, so /J#61vaScript reads as /JavaScript. */
export function decodePdfName(raw: string): string {
  return raw.replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

// Works on the bytes (no string copy of the file): it runs over every PDF of up to MAX_UPLOAD_BYTES.
function activeNameIn(buf: Buffer): string | null {
  let i = buf.indexOf(SLASH)
  while (i >= 0) {
    if (!FIRST[buf[i + 1] ?? 0]) {
      i = buf.indexOf(SLASH, i + 1)
      continue
    }
    let j = i + 1
    while (j < buf.length && REGULAR[buf[j] as number]) j++
    const raw = buf.toString('latin1', i + 1, j)
    const name = raw.includes('#') ? decodePdfName(raw) : raw
    if (ACTIVE_NAMES.has(name)) return name
    i = buf.indexOf(SLASH, j)
  }
  return null
}

/**
 * The first active-content name in the PDF, looking at the raw bytes and inside every
 * Flate-compressed non-image stream (object streams hide dictionaries there). A stream too large
 * to inflate within the limits makes the PDF unscannable, which refuses it too (fail-closed).
 */
export function findActiveContent(pdf: Buffer): PdfFinding {
  const raw = activeNameIn(pdf)
  if (raw) return { name: raw }
  let budget = TOTAL_INFLATE_MAX
  let at = pdf.indexOf(STREAM)
  while (at >= 0) {
    const keywordEnd = at + STREAM.length
    const isEnd = at >= 3 && pdf.toString('latin1', at - 3, at) === 'end'
    const eol = pdf[keywordEnd] === 0x0d ? keywordEnd + 1 : keywordEnd
    if (isEnd || pdf[eol] !== 0x0a) {
      at = pdf.indexOf(STREAM, keywordEnd)
      continue
    }
    const start = eol + 1
    const end = pdf.indexOf(ENDSTREAM, start)
    if (end < 0) break
    const dict = pdf.toString('latin1', Math.max(0, at - 1024), at)
    const own = dict.slice(dict.lastIndexOf('obj') + 1)
    at = pdf.indexOf(STREAM, end + ENDSTREAM.length)
    if (!/FlateDecode/.test(own) || /\/Subtype\s*\/Image/.test(own)) continue
    let inflated: Buffer
    try {
      inflated = inflateSync(pdf.subarray(start, end), { maxOutputLength: Math.min(PER_STREAM_MAX, budget) })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
        return { unscannable: 'stream_too_large' }
      continue
    }
    budget -= inflated.length
    const found = activeNameIn(inflated)
    if (found) return { name: found }
  }
  return null
}
