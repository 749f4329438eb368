import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { BLOB_CHUNK } from '../crypto/blob-cipher.ts'
import { type BlobStore, newBlobKey } from './blobs.port.ts'

const MiB = 1024 * 1024

/** Reads a stream to the end; rejects with the stream's error. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

/** A source of `total` bytes in `piece`-sized pieces that records how much was pulled from it. */
export function meteredSource(total: number, piece = 64 * 1024) {
  const meter = { pulled: 0 }
  async function* gen() {
    while (meter.pulled < total) {
      const n = Math.min(piece, total - meter.pulled)
      meter.pulled += n
      yield Buffer.alloc(n, 0x61)
    }
  }
  return { source: Readable.from(gen()), meter }
}

/** Behaviour every BlobStore adapter must have; `makeStore` gives each test a fresh, empty store. */
export function runBlobStoreContract(name: string, makeStore: () => Promise<BlobStore>) {
  describe(`BlobStore contract: ${name}`, () => {
    const dek = randomBytes(32)

    it.each([0, 1, BLOB_CHUNK - 1, BLOB_CHUNK, BLOB_CHUNK + 1, 5 * MiB])(
      'stores a %i-byte blob and gives back the same bytes and size',
      async (size) => {
        const store = await makeStore()
        const key = newBlobKey()
        const plain = randomBytes(size)
        const { size: stored } = await store.put(key, Readable.from([plain]), { dek, blobId: 'att-1' })
        expect(stored).toBe(size)
        expect(await store.exists(key)).toBe(true)
        expect((await readAll(store.get(key, { dek, blobId: 'att-1' }))).equals(plain)).toBe(true)
      },
    )

    it('fails to read a blob under another blob id or data key', async () => {
      const store = await makeStore()
      const key = newBlobKey()
      await store.put(key, Readable.from([randomBytes(1000)]), { dek, blobId: 'att-1' })
      await expect(readAll(store.get(key, { dek, blobId: 'att-2' }))).rejects.toMatchObject({
        code: 'crypto.blob_corrupt',
      })
      await expect(readAll(store.get(key, { dek: randomBytes(32), blobId: 'att-1' }))).rejects.toMatchObject({
        code: 'crypto.blob_corrupt',
      })
    })

    it('errors with blobs.not_found when reading a key that was never stored', async () => {
      const store = await makeStore()
      await expect(readAll(store.get(newBlobKey(), { dek, blobId: 'att-1' }))).rejects.toMatchObject({
        code: 'blobs.not_found',
      })
    })

    it('deletes a blob, and deleting it again is not an error', async () => {
      const store = await makeStore()
      const key = newBlobKey()
      await store.put(key, Readable.from([Buffer.from('x')]), { dek, blobId: 'att-1' })
      await store.delete(key)
      await store.delete(key)
      expect(await store.exists(key)).toBe(false)
    })

    it('stops reading the upload once maxBytes is passed and stores nothing', async () => {
      const store = await makeStore()
      const key = newBlobKey()
      const { source, meter } = meteredSource(50 * MiB)
      await expect(store.put(key, source, { dek, blobId: 'att-1', maxBytes: MiB })).rejects.toMatchObject({
        code: 'blobs.too_large',
        status: 413,
      })
      expect(meter.pulled).toBeLessThan(2 * MiB)
      expect(await store.exists(key)).toBe(false)
    })

    it('accepts an upload of exactly maxBytes', async () => {
      const store = await makeStore()
      const { source } = meteredSource(MiB, 10_000)
      expect(await store.put(newBlobKey(), source, { dek, blobId: 'att-1', maxBytes: MiB })).toEqual({
        size: MiB,
      })
    })

    it('stores nothing when the upload stream fails midway', async () => {
      const store = await makeStore()
      const key = newBlobKey()
      async function* broken() {
        yield randomBytes(200_000)
        throw new Error('client went away')
      }
      await expect(store.put(key, Readable.from(broken()), { dek, blobId: 'att-1' })).rejects.toThrow(
        'client went away',
      )
      expect(await store.exists(key)).toBe(false)
    })

    it('stores nothing when the upload is aborted', async () => {
      const store = await makeStore()
      const key = newBlobKey()
      const abort = new AbortController()
      async function* slow() {
        yield randomBytes(100_000)
        abort.abort()
        await new Promise((r) => setTimeout(r, 50))
        yield randomBytes(100_000)
      }
      await expect(
        store.put(key, Readable.from(slow()), { dek, blobId: 'att-1', signal: abort.signal }),
      ).rejects.toMatchObject({ name: 'AbortError' })
      expect(await store.exists(key)).toBe(false)
    })

    it('keeps concurrent uploads to different keys apart', async () => {
      const store = await makeStore()
      const blobs = Array.from({ length: 16 }, (_, i) => ({
        key: newBlobKey(),
        blobId: `att-${i}`,
        plain: randomBytes(100_000 + i * 7919),
      }))
      await Promise.all(
        blobs.map((b) => store.put(b.key, Readable.from([b.plain]), { dek, blobId: b.blobId })),
      )
      for (const b of blobs) {
        expect((await readAll(store.get(b.key, { dek, blobId: b.blobId }))).equals(b.plain)).toBe(true)
      }
    })

    it('refuses keys that are not server-made ids, such as paths', async () => {
      const store = await makeStore()
      for (const key of ['../../etc/passwd', 'short', 'a/b/cccccccccccccccc', 'Rechnung März.pdf']) {
        await expect(
          store.put(key, Readable.from([Buffer.from('x')]), { dek, blobId: 'att-1' }),
          key,
        ).rejects.toMatchObject({ code: 'blobs.invalid_key' })
        expect(() => store.get(key, { dek, blobId: 'att-1' })).toThrow(/blob keys/)
      }
    })
  })
}
