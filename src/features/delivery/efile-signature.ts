import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Keyring } from '../../crypto/keyring.ts'

/**
 * HTTP request signatures between Postkorb and an office's e-file system (also used by issue 7's
 * receipt push): `Postkorb-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>." + body>`.
 * The timestamp inside the MAC bounds replays to the receiver's tolerance window.
 */

const HEADER = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/

const mac = (secret: Buffer, t: string, body: Buffer) =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest()

/** The Postkorb-Signature header value for body at now. */
export function signEfileRequest(secret: Buffer, body: Buffer, now: Date): string {
  const t = String(Math.floor(now.getTime() / 1000))
  return `t=${t},v1=${mac(secret, t, body).toString('hex')}`
}

/** True when header is a valid signature of body by secret, made within toleranceSeconds of now. */
export function verifyEfileSignature(
  secret: Buffer,
  header: string | null | undefined,
  body: Buffer,
  now: Date,
  toleranceSeconds: number,
): boolean {
  const parsed = HEADER.exec(header?.trim() ?? '')
  if (!parsed) return false
  const [, t = '', v1 = ''] = parsed
  if (Math.abs(now.getTime() / 1000 - Number(t)) > toleranceSeconds) return false
  return timingSafeEqual(mac(secret, t, body), Buffer.from(v1, 'hex'))
}

/**
 * The office's signing secret: a keyed derivation from the index key and the office id, so it is
 * never stored; the admin reads it once to configure the e-file system (audit-logged).
 */
export function efileSecret(keyring: Pick<Keyring, 'lookupMac'>, officeId: string): Buffer {
  return keyring.lookupMac('efile-signature v1', officeId)
}
