import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const VERSION = 1
const NONCE = 12
const TAG = 16

/** What an encrypted field is bound to: moving its ciphertext to another row, field or key fails. */
export type FieldAad = { table: string; rowId: string; field: string; keyId: string }

const aadBytes = (a: FieldAad) => Buffer.from(JSON.stringify([VERSION, a.table, a.rowId, a.field, a.keyId]))

/** AES-256-GCM with a fresh 96-bit nonce; output is version ‖ nonce ‖ tag ‖ ciphertext. */
export function sealField(key: Buffer, plaintext: Buffer | string, aad: FieldAad): Buffer {
  const nonce = randomBytes(NONCE)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(aadBytes(aad))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body])
}

/** Decrypts and authenticates; throws when the ciphertext, key or binding does not match. */
export function openField(key: Buffer, sealed: Buffer, aad: FieldAad): Buffer {
  if (sealed.length < 1 + NONCE + TAG || sealed[0] !== VERSION)
    throw new Error('sealed field: unknown format')
  const nonce = sealed.subarray(1, 1 + NONCE)
  const tag = sealed.subarray(1 + NONCE, 1 + NONCE + TAG)
  const decipher = createDecipheriv('aes-256-gcm', key, nonce)
  decipher.setAAD(aadBytes(aad))
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE + TAG)), decipher.final()])
}
