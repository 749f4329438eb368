import { describe, expect, it } from 'vitest'
import {
  contentDisposition,
  extensionOf,
  MAX_NAME_CHARS,
  normaliseDeclaredType,
  sanitiseFileName,
} from './attachments.names.ts'

describe('sanitiseFileName', () => {
  it('keeps only the last path segment of Unix and Windows paths', () => {
    expect(sanitiseFileName('../../etc/passwd.pdf')).toBe('passwd.pdf')
    expect(sanitiseFileName('C:\\Users\\Kunde\\Desktop\\Kontoauszug.pdf')).toBe('Kontoauszug.pdf')
  })

  it('removes control, line-break and bidi characters, so CRLF cannot reach a header and RLO cannot fake an extension', () => {
    expect(sanitiseFileName('a\r\nX-Injected: 1.pdf')).toBe('aX-Injected_ 1.pdf')
    expect(sanitiseFileName('rechnung\u202Efdp.exe')).toBe('rechnungfdp.exe')
    expect(sanitiseFileName('tab\there\u0000.png')).toBe('tabhere.png')
  })

  it('replaces reserved characters, trims dots and spaces and never yields a hidden or empty name', () => {
    expect(sanitiseFileName('  ..a<b>c:d"e|f?g*.pdf. ')).toBe('a_b_c_d_e_f_g_.pdf')
    expect(sanitiseFileName('.pdf')).toBe('pdf')
    expect(sanitiseFileName('...')).toBe('Datei')
    expect(sanitiseFileName('CON.pdf')).toBe('_CON.pdf')
  })

  it('shortens long names to the limit and keeps the extension', () => {
    const name = sanitiseFileName(`${'ä'.repeat(500)}.jpeg`)
    expect([...name]).toHaveLength(MAX_NAME_CHARS)
    expect(name.endsWith('ä.jpeg')).toBe(true)
  })

  it('normalises to NFC, so a decomposed umlaut from macOS equals the composed one', () => {
    expect(sanitiseFileName('Mu\u0308ller.pdf')).toBe('Müller.pdf')
  })
})

describe('declared types and extensions', () => {
  it('accepts PDF, JPEG and PNG with parameters and case, maps image/jpg and refuses the rest', () => {
    expect(normaliseDeclaredType('Application/PDF; charset=binary')).toBe('application/pdf')
    expect(normaliseDeclaredType('image/jpg')).toBe('image/jpeg')
    expect(normaliseDeclaredType('image/png')).toBe('image/png')
    expect(normaliseDeclaredType('image/svg+xml')).toBeNull()
    expect(normaliseDeclaredType('text/html')).toBeNull()
    expect(normaliseDeclaredType('constructor')).toBeNull()
  })

  it('reads the extension lower-cased and none from a dot file', () => {
    expect(extensionOf('Foto.JPG')).toBe('.jpg')
    expect(extensionOf('archiv.tar.gz')).toBe('.gz')
    expect(extensionOf('pdf')).toBe('')
  })
})

describe('contentDisposition', () => {
  it('gives an ASCII fallback with transliterated umlauts and the exact name as RFC 8187 filename*', () => {
    const header = contentDisposition('Bescheid Müller (ß) 100%.pdf')
    expect(header).toBe(
      `attachment; filename="Bescheid Mueller (ss) 100_.pdf"; filename*=UTF-8''Bescheid%20M%C3%BCller%20%28%C3%9F%29%20100%25.pdf`,
    )
    const star = header.split("filename*=UTF-8''")[1] ?? ''
    expect(decodeURIComponent(star)).toBe('Bescheid Müller (ß) 100%.pdf')
    expect(header).toMatch(/^[\x20-\x7e]+$/)
  })

  it('keeps quotes and backslashes out of the quoted fallback', () => {
    expect(contentDisposition('a"b\\c.pdf')).toContain('filename="a_b_c.pdf"')
  })
})
