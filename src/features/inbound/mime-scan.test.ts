import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { MimeLimitError, type MimeLimits, mimeScanner } from './mime-scan.ts'

const limits: MimeLimits = { maxBytes: 1024 * 1024, maxHeaders: 50, maxParts: 10, maxAttachments: 3 }

async function scan(raw: string | Buffer, over: Partial<MimeLimits> = {}, chunk = 7) {
  const s = mimeScanner({ ...limits, ...over })
  const bytes = Buffer.from(raw)
  const pieces: Buffer[] = []
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk))
  let passed = 0
  await pipeline(
    Readable.from(pieces),
    s.stream,
    new Writable({
      write(c: Buffer, _e, done) {
        passed += c.length
        done()
      },
    }),
  )
  expect(passed).toBe(bytes.length)
  return s.shape()
}

const reason = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof MimeLimitError ? e.reason : String(e)),
  )

const multipart = (parts: string[], close = true) =>
  [
    'From: a@example.org',
    'Subject: x',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed;',
    ' boundary="b1"',
    '',
    'preamble',
    ...parts.flatMap((p) => ['--b1', p]),
    close ? '--b1--' : '',
    '',
  ].join('\r\n')

const pdfPart =
  'Content-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0='

describe('MIME pre-scan', () => {
  it('passes every byte through and counts headers, parts and attachments', async () => {
    const raw = multipart(['Content-Type: text/plain\r\n\r\nHallo', pdfPart])
    expect(await scan(raw)).toEqual({
      size: Buffer.byteLength(raw),
      headerCount: 7,
      partCount: 2,
      attachmentCount: 1,
    })
    expect(await scan('Subject: nur Text\n\nHallo\n')).toMatchObject({
      headerCount: 1,
      partCount: 0,
      attachmentCount: 0,
    })
  })

  it('follows nested multiparts and LF-only line ends', async () => {
    const inner =
      'Content-Type: multipart/alternative; boundary=b2\n\n--b2\nContent-Type: text/plain\n\nx\n--b2\nContent-Type: text/html\n\n<p>x</p>\n--b2--'
    const raw = multipart([inner, pdfPart]).replaceAll('\r\n', '\n')
    expect(await scan(raw)).toMatchObject({ partCount: 4, attachmentCount: 1 })
  })

  it('refuses truncated boundaries, a missing boundary and too deep nesting', async () => {
    expect(await reason(scan(multipart(['Content-Type: text/plain\r\n\r\nHallo'], false)))).toBe('truncated')
    expect(await reason(scan('Content-Type: multipart/mixed\r\n\r\n--x\r\n'))).toBe('no_boundary')
    const deep = Array.from(
      { length: 10 },
      (_, i) => `Content-Type: multipart/mixed; boundary=d${i}\r\n\r\n--d${i}\r\n`,
    ).join('')
    expect(await reason(scan(deep))).toBe('too_deep')
  })

  it('refuses too many headers, parts, attachments and bytes while streaming', async () => {
    const headers = `${Array.from({ length: 10_000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\nbody`
    expect(await reason(scan(headers, {}, 4096))).toBe('too_many_headers')
    const parts = multipart(Array.from({ length: 11 }, () => 'Content-Type: text/plain\r\n\r\nx'))
    expect(await reason(scan(parts))).toBe('too_many_parts')
    expect(await reason(scan(multipart([pdfPart, pdfPart, pdfPart, pdfPart])))).toBe('too_many_attachments')
    expect(await reason(scan(`Subject: x\r\n\r\n${'A'.repeat(2000)}`, { maxBytes: 1024 }))).toBe('too_large')
    expect(await reason(scan(`X-Long: ${'A'.repeat(70 * 1024)}\r\n\r\n`, {}, 8192))).toBe('header_too_long')
  })

  it('keeps no long body line in memory and ignores boundary look-alikes inside lines', async () => {
    const raw = multipart([`Content-Type: text/plain\r\n\r\n${'x'.repeat(500_000)} --b1--\r\n  --b1`])
    expect(await scan(raw, {}, 65_536)).toMatchObject({ partCount: 1 })
  })

  it('counts the headers and parts of an attached message as the parser will see them', async () => {
    const nested = `${Array.from({ length: 60 }, (_, i) => `X-N${i}: v`).join('\r\n')}\r\n\r\nText`
    const raw = multipart([`Content-Type: message/rfc822\r\n\r\n${nested}`])
    expect(await reason(scan(raw))).toBe('too_many_headers')
    const inner =
      'Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\nx\r\n--i\r\n'
    // The outer delimiter closes the inner multipart too, as parsers do; its parts still count.
    expect(await scan(multipart([`Content-Type: message/rfc822\r\n\r\n${inner}`]))).toMatchObject({
      partCount: 3,
    })
    const base64 = multipart([
      `Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nWC1OMDogdg==`,
    ])
    expect(await scan(base64)).toMatchObject({ attachmentCount: 1 })
    const ok = multipart([`Content-Type: message/rfc822\r\n\r\nSubject: alt\r\n\r\nalter Text`])
    expect(await scan(ok)).toMatchObject({ headerCount: 6, attachmentCount: 1 })
  })
})
