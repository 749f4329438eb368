import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { errorFactory } from '../errors.ts'

/**
 * Streaming AES-256-GCM for blobs (format v1):
 *   header = version (1 byte) ‖ salt (32 random bytes)
 *   body   = chunks of ≤ 64 KiB plaintext, each ciphertext ‖ 16-byte tag; every chunk but the
 *            last is exactly 64 KiB, the last may be shorter or empty (an empty blob is one empty chunk).
 * Per-blob key = HKDF-SHA256(dek, salt, 'postkorb blob v1'); nonce = chunk index as a 96-bit
 * big-endian counter, unique because the key is unique per blob. AAD = index ‖ last flag ‖ blob id.
 */
export const BLOB_VERSION = 1
export const BLOB_CHUNK = 64 * 1024
const SALT = 32
const TAG = 16
const HEADER = 1 + SALT
const FRAME = BLOB_CHUNK + TAG
/** Bytes of one full stored frame: BLOB_CHUNK of ciphertext and its tag. */
export const BLOB_FRAME = FRAME
/** Bytes of a stored blob's header: version and salt. */
export const BLOB_HEADER = HEADER
const INFO = Buffer.from('postkorb blob v1')
// 2^32 chunks of 64 KiB = 256 TiB: far beyond any upload, and keeps the index exact in a JS number.
const MAX_CHUNKS = 2 ** 32

/** Ciphertext bytes for a plaintext of plainSize bytes (header + tags included). */
export const encryptedSize = (plainSize: number): number =>
  HEADER + plainSize + TAG * Math.max(1, Math.ceil(plainSize / BLOB_CHUNK))

/** Plaintext bytes of a well-formed ciphertext of cipherSize bytes (NaN when no v1 blob has that size). */
export function plainSize(cipherSize: number): number {
  const body = cipherSize - HEADER
  if (body < TAG) return Number.NaN
  const chunks = Math.ceil(body / FRAME)
  const plain = body - chunks * TAG
  return encryptedSize(plain) === cipherSize ? plain : Number.NaN
}

/** Encrypts a plaintext byte stream for one blob; output is header ‖ chunks. */
export function encryptStream(dek: Buffer, blobId: string): Transform {
  checkInputs(dek, blobId)
  const salt = randomBytes(SALT)
  const key = blobKey(dek, salt)
  const pending = byteQueue(BLOB_CHUNK)
  let index = 0
  // One buffer per chunk: pushing body and tag separately saved an allocation but cost more in small writes.
  const seal = (out: Transform, plain: Buffer, last: boolean): void => {
    if (index >= MAX_CHUNKS) throw new Error('blob cipher: blob too large for format v1')
    const cipher = createCipheriv('aes-256-gcm', key, nonce(index))
    cipher.setAAD(aad(blobId, index, last))
    const body = cipher.update(plain)
    cipher.final()
    index++
    out.push(Buffer.concat([body, cipher.getAuthTag()], body.length + TAG))
  }
  return new Transform({
    construct(cb) {
      this.push(Buffer.concat([Buffer.from([BLOB_VERSION]), salt]))
      cb()
    },
    transform(data: Buffer, _enc, cb: TransformCallback) {
      pending.push(data)
      try {
        // Hold back the last full chunk: only the end of input tells whether it is the final one.
        while (pending.length > BLOB_CHUNK) seal(this, pending.take(BLOB_CHUNK), false)
        cb()
      } catch (err) {
        cb(err as Error)
      }
    },
    flush(cb: TransformCallback) {
      try {
        seal(this, pending.take(pending.length), true)
        cb()
      } catch (err) {
        cb(err as Error)
      }
    },
  })
}

/**
 * Decrypts what encryptStream wrote for the same dek and blob id. Each chunk is authenticated
 * before any of its bytes are pushed; on tampering, truncation, reordering, a foreign chunk or
 * trailing garbage the stream errors and emits nothing further.
 */
export function decryptStream(dek: Buffer, blobId: string): Transform {
  checkInputs(dek, blobId)
  const pending = byteQueue(FRAME)
  let key: Buffer | undefined
  let index = 0
  const open = (k: Buffer, frame: Buffer, last: boolean): Buffer => openFrame(k, blobId, index++, last, frame)
  const readHeader = (): Buffer | undefined => {
    if (key || pending.length < HEADER) return key
    key = blobKeyOf(dek, pending.take(HEADER))
    return key
  }
  return new Transform({
    transform(data: Buffer, _enc, cb: TransformCallback) {
      pending.push(data)
      try {
        const k = readHeader()
        // A full frame is final only if nothing follows it, so keep one frame back until more arrives.
        if (k) while (pending.length > FRAME) this.push(open(k, pending.take(FRAME), false))
        cb()
      } catch (err) {
        cb(err as Error)
      }
    },
    flush(cb: TransformCallback) {
      try {
        const k = readHeader()
        if (!k) throw blobCorrupt('incomplete header')
        if (pending.length < TAG) throw blobCorrupt('missing final chunk')
        this.push(open(k, pending.take(pending.length), true))
        cb()
      } catch (err) {
        cb(err as Error)
      }
    },
  })
}

/**
 * How many frames a stored blob of cipherSize bytes holds after its BLOB_HEADER bytes (each
 * BLOB_FRAME long, the last one shorter or as long), for readers that read it by position. Throws
 * crypto.blob_corrupt when no v1 blob has that size (truncated, or trailing bytes).
 */
export function blobFrameCount(cipherSize: number): number {
  if (Number.isNaN(plainSize(cipherSize))) throw blobCorrupt(`no v1 blob is ${cipherSize} bytes long`)
  return Math.ceil((cipherSize - HEADER) / FRAME)
}

/** The per-blob key from a blob's header (version ‖ salt); throws crypto.blob_corrupt on another version. */
export function blobKeyOf(dek: Buffer, header: Buffer): Buffer {
  if (header.length !== HEADER) throw blobCorrupt('incomplete header')
  if (header[0] !== BLOB_VERSION) throw blobCorrupt(`unknown version ${header[0]}`)
  return blobKey(dek, header.subarray(1))
}

/**
 * Authenticates and decrypts frame `index` (ciphertext ‖ tag) into a new buffer, so the frame's
 * own memory may be reused at once; throws crypto.blob_corrupt when it does not authenticate.
 */
export function openFrame(key: Buffer, blobId: string, index: number, last: boolean, frame: Buffer): Buffer {
  if (index >= MAX_CHUNKS) throw blobCorrupt('too many chunks')
  if (frame.length < TAG) throw blobCorrupt('missing final chunk')
  const decipher = createDecipheriv('aes-256-gcm', key, nonce(index))
  decipher.setAAD(aad(blobId, index, last))
  decipher.setAuthTag(frame.subarray(frame.length - TAG))
  const plain = decipher.update(frame.subarray(0, frame.length - TAG))
  try {
    decipher.final()
  } catch (cause) {
    throw blobCorrupt(`chunk ${index} failed authentication`, cause)
  }
  return plain
}

/** The stream's error when a blob does not authenticate: a server-side fault, never retryable. */
export const blobCipherErrors = errorFactory('crypto', {
  blob_corrupt: { status: 500, title: 'Stored file failed its integrity check', retryable: false },
})

const blobCorrupt = (detail: string, cause?: unknown) => blobCipherErrors.blob_corrupt(detail, { cause })

const blobKey = (dek: Buffer, salt: Buffer): Buffer => Buffer.from(hkdfSync('sha256', dek, salt, INFO, 32))

function nonce(index: number): Buffer {
  const n = Buffer.alloc(12)
  n.writeUInt32BE(Math.floor(index / 2 ** 32), 4)
  n.writeUInt32BE(index >>> 0, 8)
  return n
}

// Fixed-width fields first, so the variable-length blob id at the end is unambiguous.
function aad(blobId: string, index: number, last: boolean): Buffer {
  const head = Buffer.alloc(10)
  head[0] = BLOB_VERSION
  head.writeUInt32BE(Math.floor(index / 2 ** 32), 1)
  head.writeUInt32BE(index >>> 0, 5)
  head[9] = last ? 1 : 0
  return Buffer.concat([head, Buffer.from(blobId, 'utf8')])
}

/** Throws on a data key that is not 32 bytes or an empty blob id (a caller's bug, not bad data). */
export function checkInputs(dek: Buffer, blobId: string): void {
  if (dek.length !== 32) throw new Error('blob cipher: data key must be 32 bytes')
  if (blobId.length === 0) throw new Error('blob cipher: blob id must not be empty')
}

// What a consumed queue slot holds, so the slot no longer keeps its chunk alive.
const EMPTY = Buffer.alloc(0)

/**
 * FIFO of buffers that hands out exact byte counts. take() returns either a buffer as it was pushed
 * or a view of one reused scratch buffer, valid until the next take(): callers use it synchronously.
 */
function byteQueue(maxTake: number) {
  const scratch = Buffer.allocUnsafe(maxTake)
  // A head index instead of shift(): many tiny writes would make shift() quadratic.
  let parts: Buffer[] = []
  let head = 0
  const q = {
    length: 0,
    push(b: Buffer): void {
      if (b.length === 0) return
      parts.push(b)
      q.length += b.length
    },
    take(n: number): Buffer {
      const first = parts[head]
      const out = first && first.length === n ? first : scratch.subarray(0, n)
      let filled = out === first ? n : 0
      // A consumed slot lets go of its buffer at once: until the array is compacted it would
      // otherwise keep up to 1024 chunks (64 MiB of a large upload) alive.
      if (out === first) parts[head++] = EMPTY
      while (filled < n) {
        const part = parts[head] as Buffer
        const used = Math.min(part.length, n - filled)
        part.copy(out, filled, 0, used)
        filled += used
        if (used === part.length) parts[head++] = EMPTY
        else parts[head] = part.subarray(used)
      }
      q.length -= n
      if (head > 1024 || head === parts.length) {
        parts = parts.slice(head)
        head = 0
      }
      return out
    },
  }
  return q
}
