import { createHash, randomBytes } from 'node:crypto'

/** API tokens: `pk_<prefix>_<secret>`; the prefix is shown in admin lists, only the SHA-256 is stored. */
export function newApiToken(): { token: string; prefix: string; hash: Buffer } {
  const prefix = randomBytes(4).toString('hex')
  const token = `pk_${prefix}_${randomBytes(32).toString('base64url')}`
  return { token, prefix, hash: hashToken(token) }
}

/** 256-bit random tokens need no slow hash: SHA-256 is enough and keeps lookups by hash cheap. */
export const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest()
