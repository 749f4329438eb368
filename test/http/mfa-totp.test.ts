import { readFileSync } from 'node:fs'
import pg from 'pg'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { requireCitizen } from '../../src/http/citizen-session.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import {
  enrolTotp,
  openSession,
  sessionAfter,
  setCitizenPassword,
  totpCode,
  useTestClock,
} from '../helpers/totp.ts'

const ENV = { PUBLIC_URL: 'https://postkorb.example', CLAMD_SOCKET: '/nonexistent/clamd.sock' }
const PASSWORD = 'Lange-Sichere#Passphrase42'
type Body = Record<string, unknown> & { code?: string; csrfToken: string; recoveryCodes: string[] }
const json = async (res: Response) => (await res.json()) as Body

describeBackends('MFA: TOTP and recovery codes', (kind) => {
  let t: TestApp
  let clock: ReturnType<typeof useTestClock>
  let me: SignedIn

  beforeEach(async () => {
    t = await makeTestApp(kind, ENV)
    clock = useTestClock(t.deps)
    t.app.get('/v1/test/postbox', requireCitizen(), (c) => c.json({ ok: true }))
    me = await createSignedInCitizen(t.deps, { mfa: null, customerNumber: '123D456789' })
    await setCitizenPassword(t.deps, me.citizen.id, PASSWORD)
  })
  afterEach(() => t.close())

  const post = (path: string, s: SignedIn, body: unknown = {}) =>
    t.app.request(`/v1/auth/mfa/${path}`, {
      method: 'POST',
      headers: s.headers(),
      body: JSON.stringify(body),
    })
  const get = (path: string, s: SignedIn) => t.app.request(path, { headers: s.headers() })
  const actions = async () => (await t.deps.store.audit.list()).map((e) => e.action)

  // happy
  it('sets up TOTP with an otpauth URI that names the customer number, not the email', async () => {
    const res = await post('totp/setup', me)
    expect(res.status).toBe(200)
    const { otpauthUri, secret } = (await res.json()) as { otpauthUri: string; secret: string }
    expect(secret).toMatch(/^[A-Z2-7]{32}$/) // 160 bits
    const uri = new URL(otpauthUri)
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe('/Postkorb:123D456789')
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({
      issuer: 'Postkorb',
      secret,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    })
    expect(otpauthUri).not.toContain('@')
    expect((await json(await get('/v1/auth/mfa', me))).totp).toBeNull()
  })

  it('confirms TOTP with the first code, shows ten recovery codes once and verifies the session under a new id', async () => {
    const { secret } = (await (await post('totp/setup', me)).json()) as { secret: string }
    const res = await post('totp/confirm', me, { code: totpCode(secret, clock.now()) })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ mfaVerified: true, mfaMethod: 'totp' })
    expect(body.recoveryCodes).toHaveLength(10)
    for (const code of body.recoveryCodes) expect(code).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/)
    expect(new Set(body.recoveryCodes).size).toBe(10)

    const fresh = sessionAfter(t.deps, me, res, body.csrfToken)
    expect(fresh.cookie).not.toBe(me.cookie)
    expect((await get('/v1/test/postbox', me)).status).toBe(401) // the pre-MFA cookie is dead
    expect((await get('/v1/test/postbox', fresh)).status).toBe(200)

    const overview = await json(await get('/v1/auth/mfa', fresh))
    expect(overview).toMatchObject({ mfaVerified: true, passkeys: 0, recoveryCodesRemaining: 10 })
    expect(overview.totp).toMatchObject({ confirmedAt: expect.any(String) })
    expect(JSON.stringify(overview)).not.toContain(body.recoveryCodes[0])
    const again = await post('totp/confirm', fresh, { code: totpCode(secret, clock.now()) })
    expect(again.status).toBe(409)
    expect((await json(again)).code).toBe('mfa.totp_not_pending')
    expect(await actions()).toContain('mfa.totp_enrolled')
  })

  it('lets a pre-MFA session reach nothing but MFA routes until TOTP verify, then rotates its id', async () => {
    const { secret } = await enrolTotp(t, me)
    const login = await openSession(t.deps, me.citizen)
    const blocked = await get('/v1/test/postbox', login)
    expect(blocked.status).toBe(403)
    expect((await json(blocked)).code).toBe('auth.mfa_required')
    expect((await json(await get('/v1/auth/mfa', login))).mfaVerified).toBe(false)

    clock.advance(30_000)
    const res = await post('totp/verify', login, { code: totpCode(secret, clock.now()) })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ mfaVerified: true, mfaMethod: 'totp' })
    const verified = sessionAfter(t.deps, login, res, body.csrfToken)
    expect(verified.cookie).not.toBe(login.cookie)
    expect((await get('/v1/test/postbox', verified)).status).toBe(200)
    expect((await get('/v1/test/postbox', login)).status).toBe(401)
    const audit = await t.deps.store.audit.list()
    expect(audit.find((e) => e.action === 'mfa.verified')?.details).toEqual({ method: 'totp' })
  })

  it('accepts a code of the neighbouring time step (clock drift) and the spaces an app shows', async () => {
    const { secret } = await enrolTotp(t, me)
    clock.advance(60_000)
    const login = await openSession(t.deps, me.citizen)
    const code = totpCode(secret, clock.now().getTime() + 30_000)
    const res = await post('totp/verify', login, { code: `${code.slice(0, 3)} ${code.slice(3)}` })
    expect(res.status).toBe(200)
  })

  it('verifies a pre-MFA session once with a recovery code, in any case and without the dash', async () => {
    const { recoveryCodes } = await enrolTotp(t, me)
    const code = recoveryCodes[3] ?? ''
    const first = await openSession(t.deps, me.citizen)
    const res = await post('recovery/verify', first, { code: code.toLowerCase().replace('-', '') })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ mfaVerified: true, mfaMethod: 'recovery', recoveryCodesRemaining: 9 })
    expect((await get('/v1/test/postbox', sessionAfter(t.deps, first, res, body.csrfToken))).status).toBe(200)

    const second = await openSession(t.deps, me.citizen)
    const reuse = await post('recovery/verify', second, { code })
    expect(reuse.status).toBe(401)
    expect((await json(reuse)).code).toBe('mfa.invalid_code')
    expect((await get('/v1/test/postbox', second)).status).toBe(403)
  })

  it('regenerates recovery codes with the full session and the password, voiding the old set and other sessions', async () => {
    const { recoveryCodes: old, session } = await enrolTotp(t, me)
    const otherDevice = await openSession(t.deps, me.citizen, 'totp')

    const missing = await post('recovery/regenerate', session, {})
    expect(missing.status).toBe(422)
    const wrong = await post('recovery/regenerate', session, { password: 'Falsch#Passwort123' })
    expect(wrong.status).toBe(401)
    expect((await json(wrong)).code).toBe('mfa.wrong_password')

    const res = await post('recovery/regenerate', session, { password: PASSWORD })
    expect(res.status).toBe(200)
    const fresh = (await json(res)).recoveryCodes
    expect(fresh).toHaveLength(10)
    expect(fresh.filter((c) => old.includes(c))).toEqual([])
    expect((await get('/v1/auth/mfa', otherDevice)).status).toBe(401)
    expect((await get('/v1/test/postbox', session)).status).toBe(200)

    const login = await openSession(t.deps, me.citizen)
    expect((await post('recovery/verify', login, { code: old[0] })).status).toBe(401)
    expect((await post('recovery/verify', login, { code: fresh[0] })).status).toBe(200)
    expect(await actions()).toContain('mfa.recovery_regenerated')
  })

  // error
  it('refuses a code whose time step was already used, also from another session', async () => {
    const { secret } = await enrolTotp(t, me)
    const usedAtConfirm = totpCode(secret, clock.now())
    const a = await openSession(t.deps, me.citizen)
    const replay = await post('totp/verify', a, { code: usedAtConfirm })
    expect(replay.status).toBe(401)
    expect((await json(replay)).code).toBe('mfa.code_reused')

    clock.advance(30_000)
    const next = totpCode(secret, clock.now())
    expect((await post('totp/verify', a, { code: next })).status).toBe(200)
    const b = await openSession(t.deps, me.citizen)
    const replayElsewhere = await post('totp/verify', b, { code: next })
    expect(replayElsewhere.status).toBe(401)
    expect((await json(replayElsewhere)).code).toBe('mfa.code_reused')
    expect((await get('/v1/test/postbox', b)).status).toBe(403)
  })

  it('counts wrong codes and answers 429 with Retry-After after the limit, even for the right code, and audits the lockout', async () => {
    const { secret } = await enrolTotp(t, me)
    clock.advance(30_000)
    const login = await openSession(t.deps, me.citizen)
    const wrong = wrongCode(secret, clock.now().getTime())
    const max = t.deps.config.auth.loginMaxAttempts
    for (let i = 0; i < max; i++) {
      const res = await post('totp/verify', login, { code: wrong })
      expect(res.status).toBe(401)
      expect((await json(res)).code).toBe('mfa.invalid_code')
    }
    const locked = await post('totp/verify', login, { code: totpCode(secret, clock.now()) })
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await json(locked)).code).toBe('auth.too_many_attempts')
    expect((await get('/v1/test/postbox', login)).status).toBe(403)
    const all = await actions()
    expect(all.filter((a) => a === 'mfa.failed')).toHaveLength(max)
    expect(all).toContain('mfa.locked')
  })

  it('answers 422 for a code that is not six digits', async () => {
    const { secret } = (await (await post('totp/setup', me)).json()) as { secret: string }
    const res = await post('totp/confirm', me, { code: `${totpCode(secret, clock.now())}9` })
    expect(res.status).toBe(422)
    expect((await json(res)).code).toBe('http.validation')
  })

  it('does not let a pre-MFA session set up another factor once the citizen has one', async () => {
    await enrolTotp(t, me)
    const login = await openSession(t.deps, me.citizen)
    for (const path of ['totp/setup', 'passkeys/registration-options']) {
      const res = await post(path, login)
      expect(res.status).toBe(403)
      expect((await json(res)).code).toBe('auth.mfa_required')
    }
  })

  it('refuses to remove the only factor', async () => {
    const { session } = await enrolTotp(t, me)
    const res = await t.app.request('/v1/auth/mfa/totp', {
      method: 'DELETE',
      headers: session.headers(),
      body: JSON.stringify({ password: PASSWORD }),
    })
    expect(res.status).toBe(409)
    expect((await json(res)).code).toBe('mfa.last_factor')
    expect((await t.deps.store.totp.get(me.citizen.id))?.confirmedAt).not.toBeNull()
  })

  // security
  it('answers 401 without a session and 403 without the CSRF token', async () => {
    const anonymous = await t.app.request('/v1/auth/mfa/totp/setup', { method: 'POST' })
    expect(anonymous.status).toBe(401)
    const noCsrf = await t.app.request('/v1/auth/mfa/totp/setup', {
      method: 'POST',
      headers: { Cookie: me.cookie, 'Content-Type': 'application/json' },
    })
    expect(noCsrf.status).toBe(403)
    expect((await json(noCsrf)).code).toBe('auth.csrf')
  })

  it('keeps neither the TOTP secret nor the recovery codes in plaintext in the database or the logs', async () => {
    const { secret, recoveryCodes } = await enrolTotp(t, me)
    const secretBytes = Buffer.from(base32Decode(secret))
    const needles: (string | Buffer)[] = [secret, secretBytes]
    for (const code of recoveryCodes) needles.push(code, code.replace('-', ''))
    const dump = await databaseDump(t)
    expect(contains(dump, '123D456789')).toBe(true) // the scan sees plain columns
    for (const needle of needles) expect(contains(dump, needle), String(needle)).toBe(false)
    const logs = t.logs.join('\n')
    for (const needle of needles) expect(logs.includes(needle.toString())).toBe(false)
  })
})

function wrongCode(secret: string, now: number): string {
  const valid = new Set([-30_000, 0, 30_000].map((d) => totpCode(secret, now + d)))
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0')
    if (!valid.has(candidate)) return candidate
  }
}

function base32Decode(s: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const ch of s) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0')
  return Uint8Array.from(bits.match(/.{8}/g) ?? [], (b) => Number.parseInt(b, 2))
}

/** The raw bytes of the SQLite file and its WAL, or every PostgreSQL row as text (bytea as hex). */
export async function databaseDump(t: TestApp): Promise<Buffer> {
  const db = t.deps.config.db
  if (db.kind === 'sqlite') {
    const parts = [db.file, `${db.file}-wal`].map((f) => {
      try {
        return readFileSync(f)
      } catch {
        return Buffer.alloc(0)
      }
    })
    return Buffer.concat(parts)
  }
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    const tables = await client.query<{ s: string; n: string }>(
      `select table_schema as s, table_name as n from information_schema.tables
       where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`,
    )
    const rows: string[] = []
    for (const { s, n } of tables.rows) {
      const res = await client.query<{ r: string }>(`select t::text as r from "${s}"."${n}" t`)
      rows.push(...res.rows.map((r) => r.r))
    }
    return Buffer.from(rows.join('\n'))
  } finally {
    await client.end()
  }
}

/** True when the dump holds the value as bytes or as the hex PostgreSQL prints for bytea. */
export function contains(dump: Buffer, value: string | Buffer): boolean {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value
  return dump.includes(bytes) || dump.includes(Buffer.from(bytes.toString('hex')))
}
