import { describe, expect, it } from 'vitest'
import { inspector, judgeType } from './type-check.ts'

const KiB = 1024
const MiB = 1024 * KiB
const rules = { allowedTypes: ['application/pdf', 'image/jpeg', 'image/png'], maxImagePixels: 40_000_000 }
const declared = { type: 'application/pdf', name: 'nachweis.pdf' }

/** A PDF of about `bytes` bytes whose filler is spaces, with `inside.text` written at `inside.at`. */
function pdfOf(bytes: number, inside?: { at: number; text: string }): Buffer {
  const size = Math.floor(bytes)
  const head = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n')
  const end = Buffer.from('\ntrailer << /Root 1 0 R >>\n%%EOF\n')
  const pdf = Buffer.concat([head, Buffer.alloc(size - head.length - end.length, 0x20), end])
  if (inside) pdf.write(inside.text, Math.floor(inside.at), 'latin1')
  return pdf
}

/** Streams the PDF through an inspector in 64 KiB chunks, as the blob reader delivers it, and judges it. */
async function judge(pdf: Buffer) {
  const ins = inspector()
  for (let i = 0; i < pdf.length; i += 64 * KiB) ins.sink.write(pdf.subarray(i, i + 64 * KiB))
  await new Promise<void>((resolve) => ins.sink.end(resolve))
  return ins.inspect((i) => judgeType(i, declared, rules))
}

describe('inspector and judgeType on PDFs in reused and fresh buffers', () => {
  it('finds active content near the end of PDFs inside and above the reused buffer size', async () => {
    for (const size of [1.04 * MiB, 3.5 * MiB, 5 * MiB]) {
      const at = size - 200
      const verdict = await judge(pdfOf(size, { at, text: '/OpenAction' }))
      expect(verdict).toMatchObject({ ok: false, reason: 'pdf_active_content', detail: 'OpenAction' })
    }
  })

  it('judges a clean PDF by its own bytes after a reused buffer held an active one', async () => {
    // The active name sits beyond the end of the smaller clean files that reuse the buffer next.
    const active = pdfOf(2 * MiB, { at: 1.5 * MiB, text: '/JavaScript' })
    expect(await judge(active)).toMatchObject({ ok: false, detail: 'JavaScript' })
    for (const size of [MiB, 1.4 * MiB, 100 * KiB])
      expect(await judge(pdfOf(size))).toEqual({ ok: true, type: 'application/pdf' })
  })

  it('keeps the bytes of concurrent checks apart, also after a judge threw', async () => {
    const ins = inspector()
    ins.sink.end(pdfOf(200 * KiB))
    await new Promise((resolve) => ins.sink.once('finish', resolve))
    await expect(ins.inspect(() => Promise.reject(new Error('judge failed')))).rejects.toThrow('judge failed')
    // Four checks at once (a worker's concurrency) each judge their own bytes: had two shared a
    // buffer, the later copy would overwrite the earlier one before its judge reads it.
    const verdicts = await Promise.all([
      judge(pdfOf(2 * MiB, { at: 1.9 * MiB, text: '/Launch' })),
      judge(pdfOf(2.5 * MiB)),
      judge(pdfOf(MiB)),
      judge(pdfOf(3 * MiB, { at: 2.8 * MiB, text: '/EmbeddedFile' })),
    ])
    expect(verdicts.map((v) => (v.ok ? 'clean' : v.detail))).toEqual([
      'Launch',
      'clean',
      'clean',
      'EmbeddedFile',
    ])
  })
})
