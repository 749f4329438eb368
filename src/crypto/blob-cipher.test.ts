import { randomBytes } from 'node:crypto'
import { Readable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { BLOB_CHUNK, decryptStream, encryptedSize, encryptStream, plainSize } from './blob-cipher.ts'

const KiB = 1024
const MiB = 1024 * KiB
const HEADER = 33
const FRAME = BLOB_CHUNK + 16

/** Runs bytes through a transform, fed in pieces of `piece` bytes, and collects the output. */
async function through(t: Transform, input: Buffer, piece = 10_000): Promise<Buffer> {
  const out: Buffer[] = []
  await pipeline(Readable.from(pieces(input, piece)), t, async (source: AsyncIterable<Buffer>) => {
    for await (const b of source) out.push(b)
  })
  return Buffer.concat(out)
}

function* pieces(b: Buffer, size: number) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size)
}

const encrypt = (dek: Buffer, blobId: string, plain: Buffer) => through(encryptStream(dek, blobId), plain)
const decrypt = (dek: Buffer, blobId: string, sealed: Buffer, piece?: number) =>
  through(decryptStream(dek, blobId), sealed, piece)

/** Decrypts and returns what the consumer saw before the error, plus the error. */
async function decryptExpectingError(dek: Buffer, blobId: string, sealed: Buffer) {
  const seen: Buffer[] = []
  const stream = decryptStream(dek, blobId)
  let error: unknown
  try {
    await pipeline(Readable.from(pieces(sealed, 7_000)), stream, async (source: AsyncIterable<Buffer>) => {
      for await (const b of source) seen.push(b)
    })
  } catch (err) {
    error = err
  }
  return { error, seen: Buffer.concat(seen) }
}

const frameAt = (sealed: Buffer, i: number) => sealed.subarray(HEADER + i * FRAME, HEADER + (i + 1) * FRAME)

describe('blob cipher', () => {
  const dek = randomBytes(32)

  it.each([0, 1, BLOB_CHUNK - 1, BLOB_CHUNK, BLOB_CHUNK + 1, 5 * MiB])(
    'round-trips a %i-byte blob and produces exactly encryptedSize bytes',
    async (size) => {
      const plain = randomBytes(size)
      const sealed = await encrypt(dek, 'blob-a', plain)
      expect(sealed.length).toBe(encryptedSize(size))
      expect(plainSize(sealed.length)).toBe(size)
      expect((await decrypt(dek, 'blob-a', sealed)).equals(plain)).toBe(true)
    },
  )

  it('decrypts the same bytes whether they arrive in tiny or huge pieces', async () => {
    const plain = randomBytes(3 * BLOB_CHUNK + 5)
    const sealed = await encrypt(dek, 'blob-a', plain)
    expect((await decrypt(dek, 'blob-a', sealed, 1)).equals(plain)).toBe(true)
    expect((await decrypt(dek, 'blob-a', sealed, sealed.length)).equals(plain)).toBe(true)
  })

  it('uses a fresh salt per blob, so the same plaintext never encrypts to the same bytes', async () => {
    const plain = Buffer.alloc(1000, 7)
    const a = await encrypt(dek, 'blob-a', plain)
    const b = await encrypt(dek, 'blob-a', plain)
    expect(a.equals(b)).toBe(false)
    expect(a.subarray(HEADER).equals(b.subarray(HEADER))).toBe(false)
  })

  it('never writes the plaintext into the ciphertext', async () => {
    const marker = Buffer.from('MARKER-Müller-Veränderungsmitteilung-4711')
    const plain = Buffer.concat(Array.from({ length: 4000 }, () => marker))
    const sealed = await encrypt(dek, 'blob-a', plain)
    expect(sealed.includes(marker)).toBe(false)
    expect(sealed.includes(marker.subarray(0, 12))).toBe(false)
  })

  it('plainSize rejects sizes no v1 blob can have', () => {
    expect(plainSize(HEADER + 15)).toBeNaN()
    expect(plainSize(HEADER + FRAME + 5)).toBeNaN()
    expect(plainSize(encryptedSize(2 * BLOB_CHUNK))).toBe(2 * BLOB_CHUNK)
  })

  describe('tampering makes the decrypt stream error', () => {
    const plain = randomBytes(3 * BLOB_CHUNK + 100)
    const sealedOf = () => encrypt(dek, 'blob-a', plain)

    it('errors on one flipped byte in a middle chunk and emits nothing from that chunk on', async () => {
      const sealed = await sealedOf()
      sealed[HEADER + FRAME + 500] = (sealed[HEADER + FRAME + 500] as number) ^ 1
      const { error, seen } = await decryptExpectingError(dek, 'blob-a', sealed)
      expect(error).toMatchObject({ code: 'crypto.blob_corrupt' })
      expect(seen.length).toBeLessThanOrEqual(BLOB_CHUNK)
      expect(seen.equals(plain.subarray(0, seen.length))).toBe(true)
    })

    it('errors on a flipped byte in the header salt', async () => {
      const sealed = await sealedOf()
      sealed[5] = (sealed[5] as number) ^ 0x80
      expect((await decryptExpectingError(dek, 'blob-a', sealed)).error).toBeDefined()
    })

    it('errors on an unknown version byte', async () => {
      const sealed = await sealedOf()
      sealed[0] = 2
      const { error } = await decryptExpectingError(dek, 'blob-a', sealed)
      expect(String(error)).toMatch(/version/)
    })

    it('errors when the last chunk is cut off (truncation at a chunk boundary)', async () => {
      const sealed = await sealedOf()
      const { error } = await decryptExpectingError(dek, 'blob-a', sealed.subarray(0, HEADER + 3 * FRAME))
      expect(error).toMatchObject({ code: 'crypto.blob_corrupt' })
    })

    it('errors when the tail of the last chunk is cut off', async () => {
      const sealed = await sealedOf()
      expect(
        (await decryptExpectingError(dek, 'blob-a', sealed.subarray(0, sealed.length - 1))).error,
      ).toBeDefined()
    })

    it('errors when everything but the header is dropped', async () => {
      const sealed = await sealedOf()
      expect((await decryptExpectingError(dek, 'blob-a', sealed.subarray(0, HEADER))).error).toBeDefined()
      expect((await decryptExpectingError(dek, 'blob-a', sealed.subarray(0, 10))).error).toBeDefined()
      expect((await decryptExpectingError(dek, 'blob-a', Buffer.alloc(0))).error).toBeDefined()
    })

    it('errors when a middle chunk is dropped', async () => {
      const sealed = await sealedOf()
      const dropped = Buffer.concat([sealed.subarray(0, HEADER + FRAME), sealed.subarray(HEADER + 2 * FRAME)])
      const { error, seen } = await decryptExpectingError(dek, 'blob-a', dropped)
      expect(error).toMatchObject({ code: 'crypto.blob_corrupt' })
      expect(seen.length).toBe(BLOB_CHUNK)
    })

    it('errors when two chunks are swapped', async () => {
      const sealed = await sealedOf()
      const swapped = Buffer.concat([
        sealed.subarray(0, HEADER),
        frameAt(sealed, 1),
        frameAt(sealed, 0),
        sealed.subarray(HEADER + 2 * FRAME),
      ])
      const { error, seen } = await decryptExpectingError(dek, 'blob-a', swapped)
      expect(error).toMatchObject({ code: 'crypto.blob_corrupt' })
      expect(seen.length).toBe(0)
    })

    it('errors when a chunk comes from another blob under the same data key', async () => {
      const sealed = await sealedOf()
      const other = await encrypt(dek, 'blob-a', plain)
      const mixed = Buffer.concat([
        sealed.subarray(0, HEADER + FRAME),
        frameAt(other, 1),
        sealed.subarray(HEADER + 2 * FRAME),
      ])
      expect((await decryptExpectingError(dek, 'blob-a', mixed)).error).toMatchObject({
        code: 'crypto.blob_corrupt',
      })
    })

    it('errors when decrypted under another blob id', async () => {
      const sealed = await sealedOf()
      const { error, seen } = await decryptExpectingError(dek, 'blob-b', sealed)
      expect(error).toMatchObject({ code: 'crypto.blob_corrupt' })
      expect(seen.length).toBe(0)
    })

    it('errors when decrypted under another data key', async () => {
      const sealed = await sealedOf()
      expect((await decryptExpectingError(randomBytes(32), 'blob-a', sealed)).error).toBeDefined()
    })

    it('errors when garbage is appended, even a whole frame of it', async () => {
      const sealed = await sealedOf()
      for (const extra of [1, 16, FRAME]) {
        const { error } = await decryptExpectingError(
          dek,
          'blob-a',
          Buffer.concat([sealed, randomBytes(extra)]),
        )
        expect(error, `${extra} appended bytes`).toMatchObject({ code: 'crypto.blob_corrupt' })
      }
    })

    it('errors when a complete blob is appended to itself', async () => {
      const sealed = await encrypt(dek, 'blob-a', randomBytes(BLOB_CHUNK))
      const { error } = await decryptExpectingError(dek, 'blob-a', Buffer.concat([sealed, sealed]))
      expect(error).toBeDefined()
    })

    it('errors on an empty blob whose final chunk was tampered with', async () => {
      const sealed = await encrypt(dek, 'blob-a', Buffer.alloc(0))
      expect(sealed.length).toBe(HEADER + 16)
      sealed[HEADER] = (sealed[HEADER] as number) ^ 1
      expect((await decryptExpectingError(dek, 'blob-a', sealed)).error).toBeDefined()
    })
  })

  it('rejects a data key that is not 32 bytes and an empty blob id', () => {
    expect(() => encryptStream(randomBytes(16), 'x')).toThrow(/32 bytes/)
    expect(() => decryptStream(dek, '')).toThrow(/blob id/)
  })
})
