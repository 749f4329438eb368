import { randomBytes, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { makeTestConfig } from '../../../test/helpers/config.ts'
import { generateKeyFile, makeKeyring } from '../../crypto/keyring.ts'
import {
  replyAddress,
  replyTokenKey,
  replyTokenLength,
  replyTokenOf,
  signReplyToken,
  threadReplyAddress,
  verifyReplyToken,
} from './reply-token.ts'

const key = randomBytes(32)
const now = new Date('2026-12-01T12:00:00Z')
const later = new Date('2027-03-01T12:00:00Z')

describe('reply tokens', () => {
  it('round-trips the thread id until the expiry', () => {
    const threadId = randomUUID()
    const token = signReplyToken(key, threadId, later)
    expect(token).toMatch(/^[a-z2-7]+$/)
    expect(token).toHaveLength(replyTokenLength)
    expect(verifyReplyToken(key, token, now)).toEqual({ ok: true, threadId })
  })

  it('accepts the token in upper case, as some mail servers fold local parts', () => {
    const threadId = randomUUID()
    const token = signReplyToken(key, threadId, later)
    expect(verifyReplyToken(key, token.toUpperCase(), now)).toEqual({ ok: true, threadId })
  })

  it('calls a token expired at and after its expiry', () => {
    const token = signReplyToken(key, randomUUID(), later)
    expect(verifyReplyToken(key, token, later)).toEqual({ ok: false, reason: 'expired' })
    expect(verifyReplyToken(key, token, new Date(later.getTime() + 1000))).toEqual({
      ok: false,
      reason: 'expired',
    })
  })

  it('calls a token signed with another key, or with a changed thread or expiry, forged', () => {
    const token = signReplyToken(key, randomUUID(), later)
    expect(verifyReplyToken(randomBytes(32), token, now)).toEqual({ ok: false, reason: 'forged' })
    for (const at of [3, 30, 34, token.length - 1]) {
      const ch = token[at] === 'a' ? 'b' : 'a'
      const changed = token.slice(0, at) + ch + token.slice(at + 1)
      expect(verifyReplyToken(key, changed, now).ok).toBe(false)
    }
    // An attacker who re-signs the expiry without the key still fails the MAC.
    const expired = signReplyToken(key, randomUUID(), new Date(now.getTime() - 1000))
    const swapped = expired.slice(0, 34) + token.slice(34)
    expect(verifyReplyToken(key, swapped, now)).toEqual({ ok: false, reason: 'forged' })
  })

  it('calls wrong lengths, foreign characters and non-canonical tails malformed', () => {
    const token = signReplyToken(key, randomUUID(), later)
    for (const bad of [
      '',
      'abc',
      `${token}a`,
      token.slice(1),
      `${token.slice(0, -1)}1`,
      `${token.slice(0, -1)}!`,
    ])
      expect(verifyReplyToken(key, bad, now)).toEqual({ ok: false, reason: 'malformed' })
    // The last character carries two padding bits; a token with them set is not one we made.
    const last = token.at(-1) ?? 'a'
    const padded = `${token.slice(0, -1)}${'abcdefghijklmnopqrstuvwxyz234567'['abcdefghijklmnopqrstuvwxyz234567'.indexOf(last) | 1]}`
    if (padded !== token)
      expect(verifyReplyToken(key, padded, now)).toEqual({ ok: false, reason: 'malformed' })
  })

  it('refuses to sign a thread id that is not a UUID', () => {
    expect(() => signReplyToken(key, 'thread-1', later)).toThrow()
  })

  it('derives one stable key per keyring and a different one for another index key', () => {
    const file = generateKeyFile()
    expect(replyTokenKey(makeKeyring(file)).equals(replyTokenKey(makeKeyring(file)))).toBe(true)
    expect(replyTokenKey(makeKeyring(file)).equals(replyTokenKey(makeKeyring(generateKeyFile())))).toBe(false)
    expect(replyTokenKey(makeKeyring(file))).toHaveLength(32)
  })

  it('builds a reply address within the 64-character local part and reads the token back', () => {
    const config = makeTestConfig({ MAIL_REPLY_DOMAIN: 'Antwort.Jobcenter.example' })
    const token = signReplyToken(key, randomUUID(), later)
    const address = replyAddress(config, token)
    expect(address).toBe(`postkorb+${token}@antwort.jobcenter.example`)
    expect((address.split('@')[0] ?? '').length).toBeLessThanOrEqual(64)
    expect(replyTokenOf(config, address.toUpperCase())).toBe(token)
    expect(replyTokenOf(config, `other+${token}@antwort.jobcenter.example`)).toBeNull()
    expect(replyTokenOf(config, `postkorb+${token}@elsewhere.example`)).toBeNull()
    const longest = makeTestConfig({ MAIL_REPLY_LOCAL: 'a'.repeat(13) })
    expect((replyAddress(longest, token).split('@')[0] ?? '').length).toBeLessThanOrEqual(64)
    expect(() => makeTestConfig({ MAIL_REPLY_LOCAL: 'a'.repeat(14) })).toThrow()
  })
})

describe('thread reply address', () => {
  it('signs for REPLY_TOKEN_DAYS from now', () => {
    const config = makeTestConfig({ REPLY_TOKEN_DAYS: '2' })
    const keyring = makeKeyring(generateKeyFile())
    const threadId = randomUUID()
    const token = replyTokenOf(config, threadReplyAddress({ keyring, config }, threadId, now)) ?? ''
    const k = replyTokenKey(keyring)
    expect(verifyReplyToken(k, token, new Date(now.getTime() + 86_400_000))).toEqual({ ok: true, threadId })
    expect(verifyReplyToken(k, token, new Date(now.getTime() + 2 * 86_400_000)).ok).toBe(false)
  })
})
