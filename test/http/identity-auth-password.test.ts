import { afterEach, expect, it } from 'vitest'
import { describeBackends } from '../helpers/backends.ts'
import {
  type AuthApp,
  advanceClock,
  authed,
  json,
  linkToken,
  login,
  mailTo,
  makeAuthApp,
  markMfaDone,
  type Problem,
  registerConfirmed,
  STRONG,
  STRONG_2,
  sessionCookieOf,
} from './identity-auth-fixtures.ts'

const EMAIL = 'pw@example.org'
const RESET_LINK = /password-reset#token=([A-Za-z0-9_-]+)/

describeBackends('identity: password change and reset', (kind) => {
  let t: AuthApp
  afterEach(() => t.close())

  const session = (cookie: string) => t.app.request('/v1/auth/session', { headers: { Cookie: cookie } })
  const fullSession = async () => {
    const s = await login(t, EMAIL)
    await markMfaDone(t, s.cookie)
    return s
  }
  const change = (s: { cookie: string; csrf: string }, body: Record<string, string>) =>
    t.app.request('/v1/auth/password', json(body, authed(s)))
  const requestReset = (email: string, headers: Record<string, string> = {}) =>
    t.app.request('/v1/auth/password-reset/request', json({ email }, headers))
  const resetToken = async () => {
    expect((await requestReset(EMAIL)).status).toBe(202)
    return linkToken(await mailTo(t, EMAIL, /zurücksetzen/), RESET_LINK)
  }
  const reset = (token: string, password = STRONG_2, repeat = password) =>
    t.app.request('/v1/auth/password-reset', json({ token, password, passwordRepeat: repeat }))

  // happy
  it('changes the password, ends the other sessions and rotates the current one', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const other = await fullSession()
    const current = await fullSession()
    const res = await change(current, {
      currentPassword: STRONG,
      password: STRONG_2,
      passwordRepeat: STRONG_2,
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { csrfToken: string }
    const rotated = sessionCookieOf(res)
    expect(rotated).not.toBe('')
    expect(rotated).not.toBe(current.cookie)

    expect((await session(other.cookie)).status).toBe(401)
    expect((await session(current.cookie)).status).toBe(401)
    const still = await session(rotated)
    expect(still.status).toBe(200)
    expect(await still.json()).toMatchObject({ stage: 'complete', csrfToken: body.csrfToken })

    expect((await login(t, EMAIL, STRONG)).res.status).toBe(401)
    expect((await login(t, EMAIL, STRONG_2)).res.status).toBe(200)
    await mailTo(t, EMAIL, /geändert/)
    const entry = (await t.deps.store.audit.list()).find((e) => e.action === 'auth.password_changed')
    expect(entry?.details).toEqual({ endedSessions: 1 })
  })

  it('resets the password by the mailed token, ends every session and still requires the second factor', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const before = await fullSession()
    const token = await resetToken()
    const res = await reset(token)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { stage: string; csrfToken: string }
    expect(body.stage).toBe('mfa')
    const fresh = { cookie: sessionCookieOf(res), csrf: body.csrfToken }

    expect((await session(before.cookie)).status).toBe(401)
    const blocked = await change(fresh, {
      currentPassword: STRONG_2,
      password: STRONG,
      passwordRepeat: STRONG,
    })
    expect(blocked.status).toBe(403)
    expect(((await blocked.json()) as Problem).code).toBe('auth.mfa_required')
    expect(await (await session(fresh.cookie)).json()).toMatchObject({ stage: 'mfa' })

    expect((await login(t, EMAIL, STRONG_2)).res.status).toBe(200)
    expect((await login(t, EMAIL, STRONG)).res.status).toBe(401)
  })

  // error
  it('needs the current password and applies the policy to the new one', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const s = await fullSession()
    const wrong = await change(s, { currentPassword: STRONG_2, password: STRONG_2, passwordRepeat: STRONG_2 })
    expect(wrong.status).toBe(401)
    expect(((await wrong.json()) as Problem).code).toBe('identity.wrong_password')
    const weak = await change(s, {
      currentPassword: STRONG,
      password: 'Passwort1234!',
      passwordRepeat: 'Passwort1234!',
    })
    expect(weak.status).toBe(422)
    expect(((await weak.json()) as Problem).errors?.map((e) => e.code)).toEqual(['password.too_weak'])
    expect((await session(s.cookie)).status).toBe(200)
    expect((await login(t, EMAIL, STRONG)).res.status).toBe(200)
  })

  it('keeps a reset token usable after a rejected password and refuses it once used', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const token = await resetToken()
    const weak = await reset(token, 'Passwort1234!')
    expect(weak.status).toBe(422)
    const mismatch = await reset(token, STRONG_2, STRONG)
    expect(mismatch.status).toBe(422)
    expect((await reset(token)).status).toBe(200)
    const again = await reset(token, STRONG)
    expect(again.status).toBe(400)
    expect(((await again.json()) as Problem).code).toBe('identity.token_invalid')
  })

  it('refuses a reset token after one hour', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const token = await resetToken()
    advanceClock(t, 61 * 60_000)
    const res = await reset(token)
    expect(res.status).toBe(400)
    expect((await login(t, EMAIL, STRONG)).res.status).toBe(200)
  })

  // security
  it('answers a reset request for an unknown address exactly like a known one and mails only the owner', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const known = await requestReset(EMAIL)
    const unknown = await requestReset('stranger@example.org')
    expect(known.status).toBe(202)
    expect(unknown.status).toBe(202)
    expect(await known.json()).toEqual(await unknown.json())
    await mailTo(t, EMAIL, /zurücksetzen/)
    await new Promise((r) => setTimeout(r, 200))
    expect(t.smtp.messages.some((m) => m.to.includes('stranger@example.org'))).toBe(false)
  })

  it('throttles reset requests per address with 429 and Retry-After', async () => {
    t = await makeAuthApp(kind, { LOGIN_MAX_ATTEMPTS: '2' })
    await registerConfirmed(t, EMAIL)
    expect((await requestReset(EMAIL)).status).toBe(202)
    expect((await requestReset(EMAIL)).status).toBe(202)
    const third = await requestReset(EMAIL)
    expect(third.status).toBe(429)
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/)
  })

  it('keeps the reset token and the new password out of logs and the database', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const token = await resetToken()
    expect((await reset(token)).status).toBe(200)
    const logs = t.logs.join('\n')
    for (const secret of [token, STRONG_2, EMAIL]) expect(logs).not.toContain(secret)
    const citizen = await t.deps.store.citizens.findByEmailLookup(t.deps.keyring.lookupMac('email', EMAIL))
    expect(citizen?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/)
  })
})
