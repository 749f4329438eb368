import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import { errorFactory } from '../errors.ts'

/** Which key a blob is encrypted under and which id its chunks are bound to. */
export type BlobCrypto = {
  /** The owning citizen's data key: destroying it shreds the blob. */
  dek: Buffer
  /** Bound into every chunk's AAD (e.g. the attachment id), so blobs cannot be swapped. */
  blobId: string
}

export type PutOptions = BlobCrypto & {
  /** Plaintext limit, enforced while streaming: the put fails with blobs.too_large before reading on. */
  maxBytes?: number
  /** Aborts the upload (client gone, shutdown); nothing is left behind. */
  signal?: AbortSignal
}

/** Encrypted blob storage (attachments, rendered PDFs); keys are server-made random ids, never file names. */
export type BlobStore = {
  /** Encrypts the stream into the blob at key, atomically: it appears whole or not at all. Resolves the plaintext size. */
  put(key: string, source: Readable, options: PutOptions): Promise<{ size: number }>
  /** The decrypted blob; the stream errors (blobs.not_found, crypto.blob_corrupt) rather than end early. */
  get(key: string, options: BlobCrypto): Readable
  /** Removes the blob; deleting a missing blob is not an error. */
  delete(key: string): Promise<void>
  /** Whether a complete blob is stored at key. */
  exists(key: string): Promise<boolean>
}

export const blobErrors = errorFactory('blobs', {
  too_large: { status: 413, title: 'File too large', retryable: false },
  not_found: { status: 404, title: 'File not found', retryable: false },
  invalid_key: { status: 500, title: 'Invalid blob key', retryable: false },
})

const KEY = /^[A-Za-z0-9_-]{16,128}$/

/** A fresh random blob key (128 bits, lower-case hex: safe on case-insensitive file systems too). */
export const newBlobKey = (): string => randomBytes(16).toString('hex')

/** Throws blobs.invalid_key unless key could be a server-made id; it is used as a path segment. */
export function assertBlobKey(key: string): void {
  if (!KEY.test(key)) throw blobErrors.invalid_key('blob keys are 16–128 characters of [A-Za-z0-9_-]')
}
