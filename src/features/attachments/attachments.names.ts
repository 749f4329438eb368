/** File names and types of uploads: what the citizen's client declares, made safe before it is sealed. */

/** Declared MIME types allowed for uploads and the extensions each may carry (issue 5 checks the bytes). */
export const allowedUploadTypes: Readonly<Record<string, readonly string[]>> = {
  'application/pdf': ['.pdf'],
  'image/jpeg': ['.jpg', '.jpeg'],
  'image/png': ['.png'],
}

// Some clients still send the unregistered image/jpg; it means image/jpeg.
const typeAliases: Readonly<Record<string, string>> = { 'image/jpg': 'image/jpeg' }

/** The declared type without parameters, lower-cased and de-aliased; null when it is not allowed. */
export function normaliseDeclaredType(declared: string): string | null {
  const bare = declared.split(';')[0]?.trim().toLowerCase() ?? ''
  const type = typeAliases[bare] ?? bare
  return Object.hasOwn(allowedUploadTypes, type) ? type : null
}

/** The lower-cased extension including the dot, or '' when the name has none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(dot).toLowerCase() : ''
}

export const MAX_NAME_CHARS = 120
const FALLBACK_BASE = 'Datei'
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i
// Controls, format characters (bidi overrides that make "gpj.exe" look like "exe.jpg", zero-width) and separators.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu
const RESERVED = /[<>:"|?*\\/]/g

/**
 * A file name safe to store, show and hand to a caseworker's Windows share: last path segment only,
 * NFC, no control or bidi characters, no reserved characters, no leading dots, at most
 * MAX_NAME_CHARS code points with the extension kept.
 */
export function sanitiseFileName(raw: string): string {
  const lastSegment = raw.split(/[\\/]/).pop() ?? ''
  const cleaned = lastSegment
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(RESERVED, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '')
  const ext = extensionOf(cleaned)
  let base = ext ? cleaned.slice(0, -ext.length).replace(/[\s.]+$/, '') : cleaned
  if (base === '' || WINDOWS_RESERVED.test(base)) base = base === '' ? FALLBACK_BASE : `_${base}`
  const keep = [...ext].length > 16 ? '' : ext
  const room = MAX_NAME_CHARS - [...keep].length
  const chars = [...base]
  const trimmed = chars.length > room ? chars.slice(0, room).join('').trimEnd() : base
  return `${trimmed}${keep}`
}

const TRANSLIT: Readonly<Record<string, string>> = {
  ä: 'ae',
  ö: 'oe',
  ü: 'ue',
  Ä: 'Ae',
  Ö: 'Oe',
  Ü: 'Ue',
  ß: 'ss',
}

/** Content-Disposition for a download: an ASCII fallback plus the exact name as RFC 8187 filename*. */
export function contentDisposition(name: string): string {
  const ascii = name
    .replace(/[äöüÄÖÜß]/g, (ch) => TRANSLIT[ch] ?? '_')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
