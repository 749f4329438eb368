import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Config } from '../../config.ts'
import type { Keyring } from '../../crypto/keyring.ts'
import { deriveSystemKey } from '../../crypto/system-keys.ts'

/**
 * Signed reply tokens (issue 6): the thread id and an expiry under a truncated HMAC-SHA256, in lower-case
 * base32 so the token survives as an email local part (at most 64 characters, often case-folded):
 * version (1 byte) ‖ thread UUID (16) ‖ expiry in unix seconds (4) ‖ MAC (10) = 31 bytes = 50 characters.
 * 80 MAC bits leave an online forger no chance; the token reveals the thread id, which names no content.
 */

const version = 1
const macBytes = 10
const payloadBytes = 1 + 16 + 4
export const replyTokenLength = Math.ceil(((payloadBytes + macBytes) * 8) / 5)

export type ReplyTokenCheck =
  | { ok: true; threadId: string }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' }

/** The key that signs reply tokens: HKDF from the index key, info `postkorb reply-token v1`. */
export const replyTokenKey = (keyring: Keyring): Buffer => deriveSystemKey(keyring, 'postkorb reply-token v1')

/** A token naming the thread until expiresAt (second precision); the thread id must be a UUID. */
export function signReplyToken(key: Buffer, threadId: string, expiresAt: Date): string {
  const hex = threadId.replaceAll('-', '')
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error('reply token: the thread id must be a UUID')
  const seconds = Math.floor(expiresAt.getTime() / 1000)
  if (!(seconds > 0 && seconds < 2 ** 32)) throw new Error('reply token: expiry out of range')
  const payload = Buffer.alloc(payloadBytes)
  payload[0] = version
  Buffer.from(hex, 'hex').copy(payload, 1)
  payload.writeUInt32BE(seconds, 17)
  return base32(Buffer.concat([payload, mac(key, payload)]))
}

/** Checks a token (any letter case): malformed encoding, wrong MAC (forged) or past expiry. */
export function verifyReplyToken(key: Buffer, token: string, now: Date): ReplyTokenCheck {
  const bytes = token.length === replyTokenLength ? unbase32(token.toLowerCase()) : null
  if (!bytes || bytes.length !== payloadBytes + macBytes || bytes[0] !== version)
    return { ok: false, reason: 'malformed' }
  const payload = bytes.subarray(0, payloadBytes)
  if (!timingSafeEqual(mac(key, payload), bytes.subarray(payloadBytes)))
    return { ok: false, reason: 'forged' }
  if (payload.readUInt32BE(17) * 1000 <= now.getTime()) return { ok: false, reason: 'expired' }
  const hex = payload.subarray(1, 17).toString('hex')
  const threadId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  return { ok: true, threadId }
}

/** The Reply-To address of a routed mail: `<local>+<token>@<MAIL_REPLY_DOMAIN>`. */
export const replyAddress = (config: Pick<Config, 'reply'>, token: string): string =>
  `${config.reply.local}+${token}@${config.reply.domain}`

/** The token of an address at our reply domain with our local part, else null (case-insensitive). */
export function replyTokenOf(config: Pick<Config, 'reply'>, address: string): string | null {
  const at = address.lastIndexOf('@')
  if (at < 0 || address.slice(at + 1).toLowerCase() !== config.reply.domain) return null
  const local = address.slice(0, at).toLowerCase()
  const prefix = `${config.reply.local}+`
  return local.startsWith(prefix) ? local.slice(prefix.length) : null
}

const mac = (key: Buffer, payload: Buffer) =>
  createHmac('sha256', key).update(payload).digest().subarray(0, macBytes)

const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'

function base32(bytes: Buffer): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31]
  return out
}

function unbase32(text: string): Buffer | null {
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const ch of text) {
    const digit = alphabet.indexOf(ch)
    if (digit < 0) return null
    value = (value << 5) | digit
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
    value &= (1 << bits) - 1
  }
  // Leftover bits must be zero, so each byte string has exactly one token.
  if (value !== 0) return null
  return Buffer.from(out)
}

/** The reply address for a thread, valid for REPLY_TOKEN_DAYS from now (what deliver.email puts in Reply-To). */
export function threadReplyAddress(
  deps: { keyring: Keyring; config: Pick<Config, 'reply'> },
  threadId: string,
  now: Date,
): string {
  const expiresAt = new Date(now.getTime() + deps.config.reply.tokenDays * 86_400_000)
  return replyAddress(deps.config, signReplyToken(replyTokenKey(deps.keyring), threadId, expiresAt))
}
