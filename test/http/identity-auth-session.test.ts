import { afterEach, expect, it } from 'vitest'
import { describeBackends } from '../helpers/backends.ts'
import {
  type AuthApp,
  advanceClock,
  authed,
  json,
  login,
  makeAuthApp,
  markMfaDone,
  type Problem,
  PUBLIC_URL,
  registerConfirmed,
  STRONG,
} from './identity-auth-fixtures.ts'

const EMAIL = 'session@example.org'

describeBackends('identity: sessions, logout and CSRF', (kind) => {
  let t: AuthApp
  afterEach(() => t.close())

  const session = (cookie: string) => t.app.request('/v1/auth/session', { headers: { Cookie: cookie } })

  // happy
  it('reports the MFA stage, the CSRF token and the security level of a pre-MFA session', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const s = await login(t, EMAIL)
    const res = await session(s.cookie)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      stage: 'mfa',
      mfaMethods: ['enrol'],
      csrfToken: s.csrf,
      securityLevel: 'registered',
    })
    await markMfaDone(t, s.cookie)
    expect(await (await session(s.cookie)).json()).toMatchObject({ stage: 'complete', mfaMethod: 'totp' })
  })

  it('logs out with the CSRF token and the cookie stops working', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const s = await login(t, EMAIL)
    const out = await t.app.request('/v1/auth/logout', { method: 'POST', headers: authed(s) })
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/pk_session=;/)
    expect((await session(s.cookie)).status).toBe(401)
    expect((await t.deps.store.audit.list()).map((e) => e.action)).toContain('auth.logout')
  })

  it('sets an HttpOnly, SameSite=Lax cookie, and a Secure __Host- cookie behind https', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const plain = (await login(t, EMAIL)).res.headers.get('set-cookie') ?? ''
    expect(plain).toMatch(/HttpOnly/)
    expect(plain).toMatch(/SameSite=Lax/)
    expect(plain).toMatch(/Path=\//)
    await t.close()

    t = await makeAuthApp(kind, { PUBLIC_URL: 'https://postkorb.test' })
    await registerConfirmed(t, EMAIL)
    const secure = await login(t, EMAIL)
    const header = secure.res.headers.get('set-cookie') ?? ''
    expect(header).toMatch(/^__Host-pk_session=[A-Za-z0-9_-]{43};/)
    expect(header).toMatch(/Secure/)
    expect(header).not.toMatch(/Domain=/)
  })

  // error
  it('answers the session endpoint without a cookie with 401', async () => {
    t = await makeAuthApp(kind)
    const res = await t.app.request('/v1/auth/session')
    expect(res.status).toBe(401)
    expect(((await res.json()) as Problem).code).toBe('auth.unauthenticated')
  })

  it('keeps a pre-MFA session away from routes that need the second factor', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const s = await login(t, EMAIL)
    const res = await t.app.request(
      '/v1/auth/password',
      json({ currentPassword: STRONG, password: STRONG, passwordRepeat: STRONG }, authed(s)),
    )
    expect(res.status).toBe(403)
    expect(((await res.json()) as Problem).code).toBe('auth.mfa_required')
  })

  it('ends a session after the idle timeout', async () => {
    t = await makeAuthApp(kind, { SESSION_IDLE_MINUTES: '30' })
    await registerConfirmed(t, EMAIL)
    const s = await login(t, EMAIL)
    advanceClock(t, 29 * 60_000)
    expect((await session(s.cookie)).status).toBe(200)
    advanceClock(t, 31 * 60_000)
    const res = await session(s.cookie)
    expect(res.status).toBe(401)
    expect(res.headers.get('set-cookie')).toMatch(/pk_session=;/)
  })

  it('ends an active session at the absolute timeout', async () => {
    t = await makeAuthApp(kind, { SESSION_IDLE_MINUTES: '30', SESSION_ABSOLUTE_HOURS: '2' })
    await registerConfirmed(t, EMAIL)
    const s = await login(t, EMAIL)
    for (let minutes = 20; minutes < 120; minutes += 20) {
      advanceClock(t, 20 * 60_000)
      expect((await session(s.cookie)).status, `after ${minutes} min`).toBe(200)
    }
    advanceClock(t, 20 * 60_000)
    expect((await session(s.cookie)).status).toBe(401)
  })

  // security
  it('gives a new session id on every login and ends the session the request carried', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const first = await login(t, EMAIL)
    const second = await login(t, EMAIL, STRONG, authed(first))
    expect(second.res.status).toBe(200)
    expect(second.token).not.toBe(first.token)
    expect(second.csrf).not.toBe(first.csrf)
    expect((await session(first.cookie)).status).toBe(401)
    expect((await session(second.cookie)).status).toBe(200)
  })

  it('refuses an unsafe request with the cookie but without or with a wrong CSRF token', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const s = await login(t, EMAIL)
    for (const headers of [
      { Cookie: s.cookie },
      authed({ cookie: s.cookie, csrf: `${s.csrf.slice(0, -2)}xx` }),
    ]) {
      const res = await t.app.request('/v1/auth/logout', { method: 'POST', headers })
      expect(res.status).toBe(403)
      expect(((await res.json()) as Problem).code).toBe('auth.csrf')
    }
    expect((await session(s.cookie)).status).toBe(200)
  })

  it('refuses an unsafe request from a foreign origin even with the right token', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const s = await login(t, EMAIL)
    const foreign = await t.app.request('/v1/auth/logout', {
      method: 'POST',
      headers: authed(s, { Origin: 'https://evil.example' }),
    })
    expect(foreign.status).toBe(403)
    expect(((await foreign.json()) as Problem).code).toBe('auth.csrf')
    const crossSite = await t.app.request('/v1/auth/logout', {
      method: 'POST',
      headers: authed(s, { 'Sec-Fetch-Site': 'cross-site' }),
    })
    expect(crossSite.status).toBe(403)
    const own = await t.app.request('/v1/auth/logout', {
      method: 'POST',
      headers: authed(s, { Origin: PUBLIC_URL }),
    })
    expect(own.status).toBe(204)
  })

  it('stores only the hash of the session id', async () => {
    t = await makeAuthApp(kind)
    await registerConfirmed(t, EMAIL)
    const s = await login(t, EMAIL)
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await t.deps.store.sessions.get(Buffer.from(s.token))).toBeNull()
  })
})
