import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { BLOB_CHUNK, BLOB_FRAME } from '../crypto/blob-cipher.ts'
import { readAll } from './blob-store.contract.ts'
import { newBlobKey } from './blobs.port.ts'
import { createFsBlobStore } from './fs-blob-store.ts'

const HEADER = 33

async function stored(size: number) {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'postkorb-reader-')), 'blobs')
  const store = createFsBlobStore(root)
  const dek = randomBytes(32)
  const key = newBlobKey()
  const plain = randomBytes(size)
  await store.put(key, Readable.from([plain]), { dek, blobId: 'b1' })
  const file = path.join(root, key.slice(0, 2), key)
  const read = () => readAll(store.get(key, { dek, blobId: 'b1' }))
  return { store, dek, key, plain, file, read }
}

describe('blob file reader (by position)', () => {
  it('reads a blob of many batches (9 frames) byte for byte', async () => {
    const b = await stored(9 * BLOB_CHUNK - 5)
    expect((await b.read()).equals(b.plain)).toBe(true)
  })

  it.each([
    ['cut at a frame boundary', (f: string) => truncateSync(f, HEADER + 2 * BLOB_FRAME)],
    ['cut inside a frame', (f: string) => truncateSync(f, HEADER + BLOB_FRAME + 100)],
    ['trailing bytes', (f: string) => appendFileSync(f, Buffer.alloc(16))],
    [
      'a frame appended again',
      (f: string) => appendFileSync(f, readFileSync(f).subarray(HEADER, HEADER + BLOB_FRAME)),
    ],
    [
      'two frames swapped',
      (f: string) => {
        const bytes = readFileSync(f)
        const first = Buffer.from(bytes.subarray(HEADER, HEADER + BLOB_FRAME))
        bytes.copy(bytes, HEADER, HEADER + BLOB_FRAME, HEADER + 2 * BLOB_FRAME)
        first.copy(bytes, HEADER + BLOB_FRAME)
        writeFileSync(f, bytes)
      },
    ],
    [
      'an unknown version',
      (f: string) => writeFileSync(f, Buffer.concat([Buffer.from([9]), readFileSync(f).subarray(1)])),
    ],
  ])('errors with crypto.blob_corrupt for %s', async (_what, damage) => {
    const b = await stored(3 * BLOB_CHUNK + 7)
    damage(b.file)
    await expect(b.read()).rejects.toMatchObject({ code: 'crypto.blob_corrupt' })
  })

  it('keeps concurrent readers apart, also when some are destroyed mid-read (pooled buffers)', async () => {
    const blobs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => stored(BLOB_CHUNK * (i % 6) + 1000 * i)),
    )
    for (let round = 0; round < 3; round++) {
      const cut = blobs.map(async (b, i) => {
        if (i % 3 !== 0) return
        const s = b.store.get(b.key, { dek: b.dek, blobId: 'b1' })
        s.once('data', () => s.destroy())
        await new Promise((r) => s.once('close', r))
      })
      const reads = blobs.map(async (b) => expect((await b.read()).equals(b.plain)).toBe(true))
      await Promise.all([...cut, ...reads])
    }
  })

  it('reads on demand: a paused consumer holds the reader at a few frames, not the whole blob', async () => {
    const b = await stored(40 * BLOB_CHUNK)
    const s = b.store.get(b.key, { dek: b.dek, blobId: 'b1' })
    await new Promise((r) => s.once('readable', r))
    await new Promise((r) => setTimeout(r, 50))
    expect(s.readableLength).toBeLessThanOrEqual(8 * BLOB_CHUNK)
    s.destroy()
    await new Promise((r) => s.once('close', r))
  })
})
