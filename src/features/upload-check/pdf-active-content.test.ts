import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { decodePdfName, findActiveContent } from './pdf-active-content.ts'

const pdf = (body: string) => Buffer.from(`%PDF-1.7\n${body}\ntrailer << >>\n%%EOF\n`, 'latin1')
const objStm = (content: string, dict = '/Type /ObjStm /Filter /FlateDecode') => {
  const data = deflateSync(Buffer.from(content, 'latin1'))
  return Buffer.concat([
    Buffer.from(`%PDF-1.7\n5 0 obj << ${dict} /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream\nendobj\n%%EOF\n', 'latin1'),
  ])
}

describe('findActiveContent', () => {
  it('decodes #xx escapes in names', () => {
    expect(decodePdfName('J#61vaScript')).toBe('JavaScript')
    expect(decodePdfName('#4c#61unch')).toBe('Launch')
  })

  it.each([
    ['/JavaScript', 'JavaScript'],
    ['/JS (x)', 'JS'],
    ['/J#61vaScript', 'JavaScript'],
    ['/S/Launch', 'Launch'],
    ['/EmbeddedFile', 'EmbeddedFile'],
    ['/Names << /EmbeddedFiles 3 0 R >>', 'EmbeddedFiles'],
    ['/OpenAction 4 0 R', 'OpenAction'],
    ['/Op#65nAction[', 'OpenAction'],
  ])('finds %s', (body, name) => {
    expect(findActiveContent(pdf(`1 0 obj << ${body} >> endobj`))).toEqual({ name })
  })

  it('leaves a plain document alone, including names that merely start like an active one', () => {
    expect(findActiveContent(pdf('1 0 obj << /Type /Page /JSON /Launched /OpenActionX >> endobj'))).toBeNull()
  })

  it('looks inside Flate-compressed object streams but not into image data', () => {
    expect(findActiveContent(objStm('<< /S /JavaScript >>'))).toEqual({ name: 'JavaScript' })
    expect(findActiveContent(objStm('/JavaScript', '/Subtype /Image /Filter /FlateDecode'))).toBeNull()
  })

  it('refuses a compressed stream too large to inspect instead of passing it', () => {
    const bomb = objStm(' '.repeat(17 * 1024 * 1024))
    expect(findActiveContent(bomb)).toEqual({ unscannable: 'stream_too_large' })
  })
})
