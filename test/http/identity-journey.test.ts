import { afterEach, beforeEach, expect, it } from 'vitest'
import { describeBackends } from '../helpers/backends.ts'
import { markersFound, storedBytes } from '../helpers/raw-store.ts'
import { createOffice, createStaffToken, readJson } from '../helpers/staff.ts'
import { totpCode, useTestClock } from '../helpers/totp.ts'
import {
  type AuthApp,
  authed,
  json,
  linkToken,
  login,
  mailTo,
  makeAuthApp,
  registration,
  STRONG,
} from './identity-auth-fixtures.ts'

type S = { cookie: string; csrf: string }
const cookieOf = (res: Response, before: string) =>
  (res.headers.get('set-cookie') ?? '').split(';')[0]?.match(/^(__Host-)?pk_session=.+/)?.[0] ?? before

/** The whole front door through the public API only: every step a real citizen and office take. */
describeBackends('identity journey', (kind) => {
  let t: AuthApp
  beforeEach(async () => {
    t = await makeAuthApp(kind)
  })
  afterEach(() => t.close())

  it('register → confirm → login → TOTP → activate → sign in again, and no secret is stored or logged in plaintext', async () => {
    const clock = useTestClock(t.deps)
    const office = await createOffice(t.deps)
    const caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
    const email = `journey-${Date.now()}@example.org`

    // register and confirm through the link in the real mail
    expect((await t.app.request('/v1/auth/register', json(registration(email)))).status).toBe(202)
    const token = linkToken(await mailTo(t, email, /best[äa]tigen|confirm/i))
    expect((await t.app.request(`/v1/auth/confirm-email?token=${token}`)).status).toBe(200)

    // password step: a pre-MFA session that must enrol a factor
    const first = await login(t, email)
    expect(first.res.status).toBe(200)
    expect(first.body).toMatchObject({ stage: 'mfa', mfaMethods: ['enrol'] })
    let s: S = { cookie: first.cookie, csrf: first.csrf }
    expect((await t.app.request('/v1/profile', { headers: authed(s) })).status).toBe(403)

    // TOTP enrolment completes the sign-in
    const setup = await readJson(
      await t.app.request('/v1/auth/mfa/totp/setup', { method: 'POST', headers: authed(s) }),
    )
    const secret: string = setup.secret
    expect(setup.otpauthUri).toMatch(/^otpauth:\/\/totp\//)
    const confirm = await t.app.request(
      '/v1/auth/mfa/totp/confirm',
      json({ code: totpCode(secret, clock.now()) }, authed(s)),
    )
    expect(confirm.status).toBe(200)
    const confirmed = await readJson(confirm)
    const recoveryCodes: string[] = confirmed.recoveryCodes
    expect(recoveryCodes.length).toBeGreaterThanOrEqual(8)
    s = { cookie: cookieOf(confirm, s.cookie), csrf: confirmed.csrfToken }
    expect(s.cookie).not.toBe(first.cookie)

    const before = await readJson(await t.app.request('/v1/profile', { headers: authed(s) }))
    expect(before.securityLevel).toBe('registered')

    // the office issues an activation code; the citizen types it sloppily
    const customerNumber = `${Date.now() % 1000}D${String(Date.now()).slice(-6)}`
    const issued = await readJson(
      await t.app.request('/v1/admin/activation-codes', json({ customerNumber }, caseworker.headers())),
    )
    expect(issued.code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/)
    const sloppy = issued.code.replaceAll('-', '').toLowerCase()
    const activated = await t.app.request(
      '/v1/profile/activate',
      json({ customerNumber, code: sloppy }, authed(s)),
    )
    expect(activated.status).toBe(200)
    s = { cookie: cookieOf(activated, s.cookie), csrf: (await readJson(activated)).csrfToken ?? s.csrf }
    const after = await readJson(await t.app.request('/v1/profile', { headers: authed(s) }))
    expect(after).toMatchObject({ securityLevel: 'code_verified', customerNumber })
    expect(after.office?.id).toBe(office.id)

    // a new sign-in asks for the enrolled factor; the next TOTP step verifies it
    expect((await t.app.request('/v1/auth/logout', { method: 'POST', headers: authed(s) })).status).toBe(204)
    clock.advance(30_000)
    const again = await login(t, email)
    expect(again.body.stage).toBe('mfa')
    expect(again.body.mfaMethods).toContain('totp')
    const verify = await t.app.request(
      '/v1/auth/mfa/totp/verify',
      json({ code: totpCode(secret, clock.now()) }, authed({ cookie: again.cookie, csrf: again.csrf })),
    )
    expect(verify.status).toBe(200)
    const full = { cookie: cookieOf(verify, again.cookie), csrf: (await readJson(verify)).csrfToken }
    expect((await t.app.request('/v1/profile', { headers: authed(full) })).status).toBe(200)

    // a thief of the database or the logs learns none of the secrets
    const markers = {
      email,
      password: STRONG,
      confirmToken: token,
      totpSecret: secret,
      recoveryCode: recoveryCodes[0] ?? 'missing',
      activationCode: issued.code.replaceAll('-', ''),
      caseworkerToken: caseworker.token,
      sessionCookie: full.cookie.split('=')[1] ?? 'missing',
    }
    const stored = await storedBytes(t.deps.config.db)
    // positive control: the customer number is plain by design, so the scan must see it
    expect(markersFound(stored, { customerNumber })).toEqual(['customerNumber'])
    expect(markersFound(stored, markers)).toEqual([])
    const logs = t.logs.join('\n')
    expect(
      Object.entries(markers)
        .filter(([, m]) => logs.includes(m))
        .map(([n]) => n),
    ).toEqual([])
  }, 60_000)
})
