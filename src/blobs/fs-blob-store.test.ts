import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { encryptedSize } from '../crypto/blob-cipher.ts'
import { meteredSource, readAll, runBlobStoreContract } from './blob-store.contract.ts'
import { newBlobKey } from './blobs.port.ts'
import { createFsBlobStore } from './fs-blob-store.ts'

const freshRoot = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'postkorb-blobs-')), 'blobs')

runBlobStoreContract('filesystem', async () => createFsBlobStore(freshRoot()))

/** Every file below dir, relative paths. */
const filesBelow = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))

describe('filesystem blob store', () => {
  const dek = randomBytes(32)

  it('writes the blob to <root>/<first two key characters>/<key>, readable only by the owner', async () => {
    const root = freshRoot()
    const key = newBlobKey()
    await createFsBlobStore(root).put(key, Readable.from([randomBytes(70_000)]), { dek, blobId: 'a1' })
    const file = path.join(root, key.slice(0, 2), key)
    expect(statSync(file).size).toBe(encryptedSize(70_000))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(filesBelow(root)).toEqual([path.join(key.slice(0, 2), key)])
  })

  it('never writes the plaintext into the blob directory', async () => {
    const root = freshRoot()
    const marker = `MARKER-${randomBytes(8).toString('hex')}-Müller`
    const plain = Buffer.from(`${marker}\n`.repeat(20_000))
    const store = createFsBlobStore(root)
    await store.put(newBlobKey(), Readable.from([plain]), { dek, blobId: 'a1' })
    for (const f of filesBelow(root)) {
      const bytes = readFileSync(path.join(root, f))
      expect(bytes.includes(marker)).toBe(false)
      expect(bytes.includes(Buffer.from(marker, 'utf16le'))).toBe(false)
    }
  })

  it('leaves neither the blob nor a temp file behind when maxBytes is passed', async () => {
    const root = freshRoot()
    const store = createFsBlobStore(root)
    const { source } = meteredSource(20 * 1024 * 1024)
    await expect(
      store.put(newBlobKey(), source, { dek, blobId: 'a1', maxBytes: 1024 * 1024 }),
    ).rejects.toMatchObject({ code: 'blobs.too_large' })
    expect(filesBelow(root)).toEqual([])
  })

  it('makes the decrypt stream error when a byte of the stored file is flipped', async () => {
    const root = freshRoot()
    const store = createFsBlobStore(root)
    const key = newBlobKey()
    await store.put(key, Readable.from([randomBytes(200_000)]), { dek, blobId: 'a1' })
    const file = path.join(root, key.slice(0, 2), key)
    const bytes = readFileSync(file)
    bytes[150_000] = (bytes[150_000] as number) ^ 4
    writeFileSync(file, bytes)
    await expect(readAll(store.get(key, { dek, blobId: 'a1' }))).rejects.toMatchObject({
      code: 'crypto.blob_corrupt',
    })
  })

  it('sweeps temp files that a crash left behind, and only old ones', async () => {
    const root = freshRoot()
    const store = createFsBlobStore(root)
    await store.put(newBlobKey(), Readable.from([Buffer.from('x')]), { dek, blobId: 'a1' })
    const tmp = path.join(root, '.tmp')
    writeFileSync(path.join(tmp, 'old.part'), 'x')
    writeFileSync(path.join(tmp, 'new.part'), 'x')
    const hourAgo = new Date(Date.now() - 3_600_000)
    utimesSync(path.join(tmp, 'old.part'), hourAgo, hourAgo)
    expect(await store.sweepTemp(600_000)).toBe(1)
    expect(readdirSync(tmp)).toEqual(['new.part'])
  })
})
