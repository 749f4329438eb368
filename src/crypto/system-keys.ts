import { hkdfSync } from 'node:crypto'
import type { Keyring } from './keyring.ts'

const salt = Buffer.from('postkorb system keys')

/**
 * A 32-byte key for data that belongs to no citizen (reply tokens, raw inbound mail), derived from the
 * index key through its lookup MAC and HKDF: the keyring never hands out the index key itself, and each
 * purpose (the HKDF info) gets an independent key that survives KEK rotation.
 */
export function deriveSystemKey(keyring: Keyring, info: string): Buffer {
  const ikm = keyring.lookupMac('system-key', info)
  return Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from(info), 32))
}
