import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { encryptStream } from '../crypto/blob-cipher.ts'
import { assertBlobKey, type BlobStore, blobErrors } from './blobs.port.ts'
import { readBlobFile } from './fs-blob-reader.ts'

export type FsBlobStore = BlobStore & {
  /** Removes temp files older than maxAgeMs: uploads cut short by a crash (run at start-up). */
  sweepTemp(maxAgeMs: number): Promise<number>
}

/** Blobs as files under root/<first 2 chars of key>/<key>; uploads go through root/.tmp and a rename. */
export function createFsBlobStore(root: string): FsBlobStore {
  const tmpDir = path.join(root, '.tmp')
  const fileOf = (key: string) => {
    assertBlobKey(key)
    return path.join(root, key.slice(0, 2), key)
  }

  return {
    async put(key, source, { dek, blobId, maxBytes, signal }) {
      const file = fileOf(key)
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
      await mkdir(tmpDir, { recursive: true, mode: 0o700 })
      const tmp = path.join(tmpDir, `${key}.${randomBytes(6).toString('hex')}.part`)
      const counter = countBytes(maxBytes ?? Number.POSITIVE_INFINITY)
      // flush: fsync before close, so the rename below never publishes a file still in the page cache.
      const sink = createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true })
      try {
        await pipeline(source, counter.stream, encryptStream(dek, blobId), sink, { signal })
        await rename(tmp, file)
        await syncDir(path.dirname(file))
        return { size: counter.bytes() }
      } catch (err) {
        // An early failure can beat the asynchronous open; remove the file only once it is closed.
        if (!sink.closed) await once(sink, 'close').catch(() => {})
        await rm(tmp, { force: true })
        throw err
      }
    },

    get(key, { dek, blobId }) {
      return readBlobFile(fileOf(key), dek, blobId)
    },

    async delete(key) {
      await rm(fileOf(key), { force: true })
    },

    async exists(key) {
      try {
        return (await stat(fileOf(key))).isFile()
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
        throw err
      }
    },

    async sweepTemp(maxAgeMs) {
      const names = await readdir(tmpDir).catch(() => [] as string[])
      let removed = 0
      for (const name of names) {
        const full = path.join(tmpDir, name)
        const info = await stat(full).catch(() => undefined)
        if (!info || Date.now() - info.mtimeMs < maxAgeMs) continue
        await rm(full, { force: true })
        removed++
      }
      return removed
    },
  }
}

/** Passes bytes through and fails with blobs.too_large as soon as more than limit have passed. */
function countBytes(limit: number): { stream: Transform; bytes: () => number } {
  let seen = 0
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length
      if (seen > limit) return cb(blobErrors.too_large(`the limit is ${limit} bytes`, { extra: { limit } }))
      cb(null, chunk)
    },
  })
  return { stream, bytes: () => seen }
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
