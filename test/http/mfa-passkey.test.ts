import { createHash, randomBytes } from 'node:crypto'
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { requireCitizen } from '../../src/http/citizen-session.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { createSoftAuthenticator, type SoftAuthenticator } from '../helpers/soft-authenticator.ts'
import {
  enrolTotp,
  openSession,
  sessionAfter,
  setCitizenPassword,
  totpCode,
  useTestClock,
} from '../helpers/totp.ts'

const ORIGIN = 'https://postkorb.example'
const ENV = { PUBLIC_URL: ORIGIN, CLAMD_SOCKET: '/nonexistent/clamd.sock' }
const PASSWORD = 'Lange-Sichere#Passphrase42'
type Body = Record<string, unknown> & {
  code?: string
  csrfToken: string
  recoveryCodes?: string[]
  passkey: { id: string }
  passkeys: { id: string; createdAt: string; lastUsedAt: string | null }[]
}
const json = async (res: Response) => (await res.json()) as Body

describeBackends('MFA: passkeys', (kind) => {
  let t: TestApp
  let clock: ReturnType<typeof useTestClock>
  let me: SignedIn
  let authenticator: SoftAuthenticator
  const email = 'erika.musterfrau@example.org'

  beforeEach(async () => {
    t = await makeTestApp(kind, ENV)
    clock = useTestClock(t.deps)
    t.app.get('/v1/test/postbox', requireCitizen(), (c) => c.json({ ok: true }))
    me = await createSignedInCitizen(t.deps, { mfa: null, email })
    await setCitizenPassword(t.deps, me.citizen.id, PASSWORD)
    authenticator = createSoftAuthenticator({ origin: ORIGIN })
  })
  afterEach(() => t.close())

  const post = (path: string, s: SignedIn, body: unknown = {}) =>
    t.app.request(`/v1/auth/mfa/${path}`, {
      method: 'POST',
      headers: s.headers(),
      body: JSON.stringify(body),
    })
  const del = (path: string, s: SignedIn, body: unknown) =>
    t.app.request(`/v1/auth/mfa/${path}`, {
      method: 'DELETE',
      headers: s.headers(),
      body: JSON.stringify(body),
    })
  const get = (path: string, s: SignedIn) => t.app.request(path, { headers: s.headers() })
  const actions = async () => (await t.deps.store.audit.list()).map((e) => e.action)

  const registrationOptions = async (s: SignedIn) => {
    const res = await post('passkeys/registration-options', s)
    expect(res.status).toBe(200)
    return (await res.json()) as PublicKeyCredentialCreationOptionsJSON
  }
  const authenticationOptions = async (s: SignedIn) => {
    const res = await post('passkeys/authentication-options', s)
    expect(res.status).toBe(200)
    return (await res.json()) as PublicKeyCredentialRequestOptionsJSON
  }
  /** Registers the soft authenticator as the first factor; returns the verified session. */
  const registerFirst = async (s: SignedIn) => {
    const res = await post('passkeys/registration', s, {
      response: authenticator.register(await registrationOptions(s)),
    })
    expect(res.status).toBe(201)
    return sessionAfter(t.deps, s, res, (await json(res)).csrfToken)
  }
  const signInWithPasskey = async (lie: Parameters<SoftAuthenticator['authenticate']>[1] = {}) => {
    const login = await openSession(t.deps, me.citizen)
    const options = await authenticationOptions(login)
    const res = await post('passkeys/authentication', login, {
      response: authenticator.authenticate(options, lie),
    })
    return { login, res }
  }

  // happy
  it('offers registration options for this site without the email and with a pending challenge', async () => {
    const options = await registrationOptions(me)
    expect(options.rp).toEqual({ id: 'postkorb.example', name: 'Postkorb' })
    expect(options.attestation).toBe('none')
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: 'preferred',
      userVerification: 'preferred',
    })
    expect(options.excludeCredentials).toEqual([])
    expect(Buffer.from(options.user.id, 'base64url').toString('latin1')).not.toContain(email)
    expect(JSON.stringify(options)).not.toContain(email)
    expect((await t.deps.store.sessions.get(sessionIdOf(me)))?.challenge).toContain(options.challenge)
  })

  it('registers a passkey as the first factor, verifies the session and issues recovery codes', async () => {
    const options = await registrationOptions(me)
    const res = await post('passkeys/registration', me, { response: authenticator.register(options) })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body).toMatchObject({
      mfaVerified: true,
      mfaMethod: 'passkey',
      passkey: { id: authenticator.credentialId },
    })
    expect(body.recoveryCodes).toHaveLength(10)
    const verified = sessionAfter(t.deps, me, res, body.csrfToken)
    expect((await get('/v1/test/postbox', me)).status).toBe(401)
    expect((await get('/v1/test/postbox', verified)).status).toBe(200)

    const list = await json(await get('/v1/auth/mfa/passkeys', verified))
    expect(list.passkeys).toEqual([
      { id: authenticator.credentialId, createdAt: expect.any(String), lastUsedAt: null },
    ])
    expect(await actions()).toContain('mfa.passkey_added')
    expect((await registrationOptions(verified)).excludeCredentials).toEqual([
      { id: authenticator.credentialId, type: 'public-key', transports: ['internal'] },
    ])
  })

  it('verifies a pre-MFA session with the passkey and records its use', async () => {
    const verified = await registerFirst(me)
    const login = await openSession(t.deps, me.citizen)
    expect((await get('/v1/test/postbox', login)).status).toBe(403)
    const options = await authenticationOptions(login)
    expect(options.allowCredentials).toEqual([
      { id: authenticator.credentialId, type: 'public-key', transports: ['internal'] },
    ])
    const res = await post('passkeys/authentication', login, {
      response: authenticator.authenticate(options),
    })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ mfaVerified: true, mfaMethod: 'passkey' })
    expect((await get('/v1/test/postbox', sessionAfter(t.deps, login, res, body.csrfToken))).status).toBe(200)
    expect((await get('/v1/test/postbox', login)).status).toBe(401)
    const [listed] = (await json(await get('/v1/auth/mfa/passkeys', verified))).passkeys
    expect(listed?.lastUsedAt).toEqual(expect.any(String))
    expect((await t.deps.store.passkeys.get(me.citizen.id, authenticator.credentialId))?.counter).toBe(1)
  })

  // error
  it('refuses a registration and an assertion made for another origin', async () => {
    const bad = await post('passkeys/registration', me, {
      response: authenticator.register(await registrationOptions(me), {
        origin: 'https://postkorb.example.evil',
      }),
    })
    expect(bad.status).toBe(400)
    expect((await json(bad)).code).toBe('mfa.registration_failed')
    expect(await t.deps.store.passkeys.listForCitizen(me.citizen.id)).toEqual([])

    await registerFirst(me)
    const { login, res } = await signInWithPasskey({ origin: 'https://phishing.example' })
    expect(res.status).toBe(401)
    expect((await json(res)).code).toBe('mfa.passkey_failed')
    expect((await get('/v1/test/postbox', login)).status).toBe(403)
    expect(await actions()).toContain('mfa.failed')
  })

  it('refuses an assertion over another challenge, and a challenge is good for one attempt only', async () => {
    await registerFirst(me)
    const forged = await signInWithPasskey({ challenge: randomBytes(32).toString('base64url') })
    expect(forged.res.status).toBe(401)
    expect((await json(forged.res)).code).toBe('mfa.passkey_failed')

    const login = await openSession(t.deps, me.citizen)
    const response = authenticator.authenticate(await authenticationOptions(login))
    expect((await post('passkeys/authentication', login, { response })).status).toBe(200)
    const other = await openSession(t.deps, me.citizen)
    const replay = await post('passkeys/authentication', other, { response })
    expect(replay.status).toBe(409)
    expect((await json(replay)).code).toBe('mfa.no_challenge')
  })

  it('refuses an assertion whose signature counter did not grow (a cloned authenticator)', async () => {
    await registerFirst(me)
    expect((await signInWithPasskey()).res.status).toBe(200)
    const cloned = await signInWithPasskey({ signCount: 1 })
    expect(cloned.res.status).toBe(401)
    expect((await json(cloned.res)).code).toBe('mfa.passkey_failed')
    expect((await t.deps.store.passkeys.get(me.citizen.id, authenticator.credentialId))?.counter).toBe(1)
  })

  it('refuses an expired registration challenge', async () => {
    const options = await registrationOptions(me)
    clock.advance(5 * 60_000 + 1)
    const res = await post('passkeys/registration', me, { response: authenticator.register(options) })
    expect(res.status).toBe(409)
    expect((await json(res)).code).toBe('mfa.no_challenge')
  })

  it('adds a passkey to a TOTP account only with the full session and the password, and ends the other sessions', async () => {
    const { session } = await enrolTotp(t, me)
    const otherDevice = await openSession(t.deps, me.citizen, 'totp')
    const options = await registrationOptions(session)
    const response = authenticator.register(options)

    const missing = await post('passkeys/registration', session, { response })
    expect(missing.status).toBe(403)
    expect((await json(missing)).code).toBe('mfa.password_required')
    const wrong = await post('passkeys/registration', session, { response, password: 'Falsch#Passwort123' })
    expect(wrong.status).toBe(401)
    expect((await json(wrong)).code).toBe('mfa.wrong_password')
    expect((await get('/v1/auth/mfa', otherDevice)).status).toBe(200)

    const res = await post('passkeys/registration', session, { response, password: PASSWORD })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body.recoveryCodes).toBeUndefined() // the set from the TOTP enrolment stays
    expect((await get('/v1/auth/mfa', otherDevice)).status).toBe(401)
    expect((await get('/v1/test/postbox', session)).status).toBe(200)
    expect(await json(await get('/v1/auth/mfa', session))).toMatchObject({
      passkeys: 1,
      recoveryCodesRemaining: 10,
    })
  })

  it('refuses to remove the last factor, and removes one of two with the password', async () => {
    const verified = await registerFirst(me)
    const last = await del(`passkeys/${authenticator.credentialId}`, verified, { password: PASSWORD })
    expect(last.status).toBe(409)
    expect((await json(last)).code).toBe('mfa.last_factor')

    const setup = await post('totp/setup', verified, { password: PASSWORD })
    expect(setup.status).toBe(200)
    const { secret } = (await setup.json()) as { secret: string }
    expect((await post('totp/confirm', verified, { code: totpCode(secret, clock.now()) })).status).toBe(200)
    const otherDevice = await openSession(t.deps, me.citizen, 'passkey')

    const wrong = await del(`passkeys/${authenticator.credentialId}`, verified, {
      password: 'Falsch#Passwort123',
    })
    expect(wrong.status).toBe(401)
    const res = await del(`passkeys/${authenticator.credentialId}`, verified, { password: PASSWORD })
    expect(res.status).toBe(204)
    expect(await t.deps.store.passkeys.listForCitizen(me.citizen.id)).toEqual([])
    expect((await get('/v1/auth/mfa', otherDevice)).status).toBe(401)
    expect(await actions()).toContain('mfa.passkey_removed')
    const totpLast = await del('totp', verified, { password: PASSWORD })
    expect(totpLast.status).toBe(409)
  })

  // security
  it("answers 404 for another citizen's passkey exactly as for a missing one", async () => {
    await registerFirst(me)
    const other = await createSignedInCitizen(t.deps, { mfa: null })
    await setCitizenPassword(t.deps, other.citizen.id, PASSWORD)
    const { session } = await enrolTotp(t, other)
    const foreign = await del(`passkeys/${authenticator.credentialId}`, session, { password: PASSWORD })
    const missing = await del(`passkeys/${randomBytes(16).toString('base64url')}`, session, {
      password: PASSWORD,
    })
    expect(foreign.status).toBe(404)
    expect(missing.status).toBe(404)
    const [a, b] = [await json(foreign), await json(missing)]
    expect({ ...a, requestId: undefined }).toEqual({ ...b, requestId: undefined })
    expect(await t.deps.store.passkeys.listForCitizen(me.citizen.id)).toHaveLength(1)
  })

  it('keeps the passkey list behind a verified session', async () => {
    const res = await get('/v1/auth/mfa/passkeys', me)
    expect(res.status).toBe(403)
    expect((await json(res)).code).toBe('auth.mfa_required')
  })
})

/** The stored session id: SHA-256 of the cookie value. */
const sessionIdOf = (s: SignedIn) =>
  createHash('sha256')
    .update(s.cookie.split('=')[1] ?? '')
    .digest()
