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

/** signEfileRequest over a body given as chunks (read once), with the body's length. */
export async function signEfileStream(
  secret: Buffer,
  chunks: AsyncIterable<Buffer>,
  now: Date,
): Promise<{ signature: string; length: number }> {
  const t = String(Math.floor(now.getTime() / 1000))
  const hmac = createHmac('sha256', secret).update(`${t}.`)
  let length = 0
  for await (const chunk of chunks) {
    hmac.update(chunk)
    length += chunk.length
  }
  return { signature: `t=${t},v1=${hmac.digest('hex')}`, length }
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
