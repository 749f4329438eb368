import { afterEach, expect, it } from 'vitest'
import { describeBackends } from '../helpers/backends.ts'
import {
  type AuthApp,
  advanceClock,
  login,
  makeAuthApp,
  median,
  type Problem,
  registerConfirmed,
  STRONG,
  STRONG_2,
  timed,
} from './identity-auth-fixtures.ts'

describeBackends('identity: login (password step)', (kind) => {
  let t: AuthApp
  afterEach(() => t.close())

  // happy
  it('tells the client which second factors the citizen has', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, 'factors@example.org')
    const first = await login(t, 'factors@example.org')
    expect(first.body.mfaMethods).toEqual(['enrol'])

    const citizen = await t.deps.store.citizens.findByEmailLookup(
      t.deps.keyring.lookupMac('email', 'factors@example.org'),
    )
    const id = citizen?.id ?? ''
    await t.deps.store.totp.upsert(id, Buffer.from('sealed-secret'), new Date())
    expect((await login(t, 'factors@example.org')).body.mfaMethods).toEqual(['enrol'])
    await t.deps.store.totp.useStep(id, 1, new Date())
    await t.deps.store.recoveryCodes.replaceAll(id, [Buffer.alloc(32, 1)], new Date())
    expect((await login(t, 'factors@example.org')).body.mfaMethods).toEqual(['totp', 'recovery'])
  })

  // error
  it('gives an unknown email and a wrong password the same 401', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, 'real@example.org')
    const wrong = await login(t, 'real@example.org', STRONG_2)
    const unknown = await login(t, 'nobody@example.org', STRONG)
    for (const r of [wrong, unknown]) {
      expect(r.res.status).toBe(401)
      expect(r.cookie).toBe('')
    }
    const strip = ({ requestId: _, ...rest }: Problem) => rest
    expect(strip(wrong.body as Problem)).toEqual(strip(unknown.body as Problem))
    expect((wrong.body as Problem).code).toBe('auth.invalid_credentials')
    const actions = (await t.deps.store.audit.list()).map((e) => e.action)
    expect(actions.filter((a) => a === 'auth.login_failed')).toHaveLength(2)
  })

  it('answers an unknown email and a wrong password in about the same time', async () => {
    t = await makeAuthApp(kind, { LOGIN_MAX_ATTEMPTS: '100' })
    await registerConfirmed(t, 'clock@example.org')
    const wrong: number[] = []
    const unknown: number[] = []
    await login(t, 'warm-up@example.org', STRONG_2)
    for (let i = 0; i < 5; i++) {
      wrong.push(await timed(() => login(t, 'clock@example.org', STRONG_2)))
      unknown.push(await timed(() => login(t, `ghost${i}@example.org`, STRONG_2)))
    }
    const [w, u] = [median(wrong), median(unknown)]
    expect(Math.max(w, u) / Math.min(w, u)).toBeLessThan(3)
  })

  // security
  it('locks an account after the limit with 429 and Retry-After, even for the right password, and audits it once', async () => {
    t = await makeAuthApp(kind, { LOGIN_MAX_ATTEMPTS: '3', LOGIN_WINDOW_MINUTES: '15' })
    await registerConfirmed(t, 'target@example.org')
    for (let i = 0; i < 3; i++) expect((await login(t, 'target@example.org', STRONG_2)).res.status).toBe(401)
    const locked = await login(t, 'target@example.org', STRONG)
    expect(locked.res.status).toBe(429)
    expect((locked.body as Problem).code).toBe('auth.too_many_attempts')
    const retryAfter = Number(locked.res.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    expect((await login(t, 'target@example.org', STRONG)).res.status).toBe(429)

    const audit = await t.deps.store.audit.list()
    expect(audit.filter((e) => e.action === 'auth.login_locked')).toHaveLength(1)
    const logs = t.logs.filter((l) => l.includes('login locked out'))
    expect(logs).toHaveLength(1)
    expect(logs[0]).not.toContain('target')

    advanceClock(t, 15 * 60_000 + 1000)
    expect((await login(t, 'target@example.org', STRONG)).res.status).toBe(200)
  })

  it('throttles unknown emails exactly like known ones', async () => {
    t = await makeAuthApp(kind, { LOGIN_MAX_ATTEMPTS: '2' })
    for (let i = 0; i < 2; i++) expect((await login(t, 'nobody@example.org')).res.status).toBe(401)
    expect((await login(t, 'nobody@example.org')).res.status).toBe(429)
  })

  it('forgets the account counter after a correct password', async () => {
    t = await makeAuthApp(kind, { LOGIN_MAX_ATTEMPTS: '3' })
    await registerConfirmed(t, 'forgetful@example.org')
    for (let i = 0; i < 2; i++) await login(t, 'forgetful@example.org', STRONG_2)
    expect((await login(t, 'forgetful@example.org')).res.status).toBe(200)
    for (let i = 0; i < 3; i++)
      expect((await login(t, 'forgetful@example.org', STRONG_2)).res.status).toBe(401)
  })

  it('throttles one client address across accounts, but not other addresses', async () => {
    t = await makeAuthApp(kind, { TRUST_PROXY: 'true', LOGIN_MAX_ATTEMPTS_PER_IP: '3' })
    await registerConfirmed(t, 'victim@example.org')
    const from = (ip: string) => ({ 'X-Forwarded-For': `${ip}, 10.0.0.1` })
    for (let i = 0; i < 3; i++)
      expect((await login(t, `spray${i}@example.org`, STRONG_2, from('203.0.113.7'))).res.status).toBe(401)
    const blocked = await login(t, 'victim@example.org', STRONG, from('203.0.113.7'))
    expect(blocked.res.status).toBe(429)
    expect(blocked.res.headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await login(t, 'victim@example.org', STRONG, from('198.51.100.2'))).res.status).toBe(200)
    const lockLog = t.logs.find((l) => l.includes('login locked out')) ?? ''
    expect(JSON.parse(lockLog)).toMatchObject({ scope: 'address', address: '203.0.113.7' })
  })

  it('refuses a correct password of an unconfirmed address with 403 and starts no session', async () => {
    t = await makeAuthApp(kind)
    await t.app.request('/v1/auth/register', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        email: 'pending@example.org',
        password: STRONG,
        passwordRepeat: STRONG,
        acceptTerms: true,
        consentEmail: true,
      }),
    })
    const res = await login(t, 'pending@example.org')
    expect(res.res.status).toBe(403)
    expect((res.body as Problem).detail).toContain('bestätigen')
    expect(res.cookie).toBe('')
  })
})
