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
// Only names that can spell an active one are matched: its first letter, or an escape, comes first.
const NAME = /\/([JLEORG#][^\s\0()<>[\]{}/%]*)/g
const STREAM = /stream\r?\n/g
const PER_STREAM_MAX = 16 * 1024 * 1024
const TOTAL_INFLATE_MAX = 128 * 1024 * 1024

export type PdfFinding = { name: string } | { unscannable: string } | null

/** The decoded name with its #xx escapes resolved, so /J#61vaScript reads as /JavaScript. */
export function decodePdfName(raw: string): string {
  return raw.replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

function activeNameIn(text: string): string | null {
  for (const m of text.matchAll(NAME)) {
    const raw = m[1] ?? ''
    const name = raw.includes('#') ? decodePdfName(raw) : raw
    if (ACTIVE_NAMES.has(name)) return name
  }
  return null
}

/**
 * The first active-content name in the PDF, looking at the raw bytes and inside every
 * Flate-compressed non-image stream (object streams hide dictionaries there). A stream too large
 * to inflate within the limits makes the PDF unscannable, which refuses it too (fail-closed).
 */
export function findActiveContent(pdf: Buffer): PdfFinding {
  const text = pdf.toString('latin1')
  const raw = activeNameIn(text)
  if (raw) return { name: raw }
  let budget = TOTAL_INFLATE_MAX
  for (const m of text.matchAll(STREAM)) {
    const start = (m.index ?? 0) + m[0].length
    const end = text.indexOf('endstream', start)
    if (end < 0) break
    const dict = text.slice(Math.max(0, (m.index ?? 0) - 1024), m.index)
    const own = dict.slice(dict.lastIndexOf('obj') + 1)
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
    const found = activeNameIn(inflated.toString('latin1'))
    if (found) return { name: found }
  }
  return null
}
