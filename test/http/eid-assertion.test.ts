import { exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose'
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { createOffice, jsonRequest, readJson } from '../helpers/staff.ts'

const ISSUER = 'https://idp.bund.example'
type Keys = Awaited<ReturnType<typeof generateKeyPair>>

/** An identity provider of our own: its key pair signs assertions the app verifies. */
async function makeIdp(alg: 'ES256' | 'RS256') {
  const keys = await generateKeyPair(alg, { extractable: true })
  return { alg, keys, pem: await exportSPKI(keys.publicKey) }
}

function sign(
  keys: Keys,
  alg: string,
  claims: JWTPayload,
  opts: { iat?: number; exp?: number | string } = {},
) {
  const now = Math.floor(Date.now() / 1000)
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg })
    .setIssuedAt(opts.iat ?? now)
    .setExpirationTime(opts.exp ?? now + 300)
  if (claims.iss === undefined) jwt.setIssuer(ISSUER)
  if (claims.aud === undefined) jwt.setAudience('postkorb')
  if (claims.sub === undefined) jwt.setSubject('bundid-pseudonym-4711')
  return jwt.sign(keys.privateKey)
}

for (const alg of ['ES256', 'RS256'] as const) {
  describeBackends(`eID assertions signed with ${alg}`, (kind) => {
    let idp: Awaited<ReturnType<typeof makeIdp>>
    let t: TestApp
    let me: SignedIn
    beforeAll(async () => {
      idp = await makeIdp(alg)
    })
    beforeEach(async () => {
      t = await makeTestApp(kind, { EID_JWT_PUBLIC_KEY: idp.pem, EID_JWT_ISSUER: ISSUER })
      const office = await createOffice(t.deps)
      me = await createSignedInCitizen(t.deps, { officeId: office.id, customerNumber: '123D456789' })
    })
    afterEach(() => t.close())

    const nonceFor = async (who: SignedIn) => {
      const res = await t.app.request('/v1/profile/eid/nonce', jsonRequest('POST', who.headers()))
      expect(res.status).toBe(201)
      return (await readJson(res)).nonce as string
    }
    const submit = (who: SignedIn, assertion: string) =>
      t.app.request('/v1/profile/eid', jsonRequest('POST', who.headers(), { assertion }))
    const refused = async (res: Response, reason?: string) => {
      expect(res.status).toBe(400)
      const body = await readJson(res)
      expect(body.code).toBe('eid.assertion_invalid')
      if (reason) expect(body.reason).toBe(reason)
      expect((await t.deps.store.citizens.get(me.citizen.id))?.securityLevel).toBe('code_verified')
    }

    // happy
    it('raises an activated profile to eid for an assertion carrying the session’s nonce', async () => {
      const assertion = await sign(idp.keys, alg, { nonce: await nonceFor(me) })
      const res = await submit(me, assertion)
      expect(res.status).toBe(200)
      expect((await readJson(res)).securityLevel).toBe('eid')
      expect((await t.deps.store.citizens.get(me.citizen.id))?.securityLevel).toBe('eid')
      const entry = (await t.deps.store.audit.list()).find((e) => e.action === 'citizen.eid_verified')
      expect(entry).toMatchObject({ actorId: me.citizen.id, details: { issuer: ISSUER, algorithm: alg } })
      expect(res.headers.get('set-cookie')).toBeTruthy()
    })

    // error
    it('refuses an assertion signed by another key', async () => {
      const stranger = await makeIdp(alg)
      await refused(await submit(me, await sign(stranger.keys, alg, { nonce: await nonceFor(me) })))
    })

    it('refuses a wrong issuer and a wrong audience', async () => {
      const nonce = await nonceFor(me)
      await refused(await submit(me, await sign(idp.keys, alg, { nonce, iss: 'https://evil.example' })))
      await refused(await submit(me, await sign(idp.keys, alg, { nonce, aud: 'someone-else' })))
    })

    it('refuses an expired assertion and one issued more than five minutes ago', async () => {
      const nonce = await nonceFor(me)
      const now = Math.floor(Date.now() / 1000)
      await refused(await submit(me, await sign(idp.keys, alg, { nonce }, { iat: now - 120, exp: now - 60 })))
      await refused(
        await submit(me, await sign(idp.keys, alg, { nonce }, { iat: now - 360, exp: now + 600 })),
      )
    })

    it('refuses an assertion without nonce or with a made-up one', async () => {
      await refused(await submit(me, await sign(idp.keys, alg, {})))
      await refused(
        await submit(me, await sign(idp.keys, alg, { nonce: `${Date.now().toString(36)}.AAAA` })),
        'nonce',
      )
    })

    it('refuses a token signed with HS256 using the public key as secret', async () => {
      const secret = new TextEncoder().encode(idp.pem)
      const now = Math.floor(Date.now() / 1000)
      const forged = await new SignJWT({ nonce: await nonceFor(me) })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setAudience('postkorb')
        .setSubject('x')
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(secret)
      await refused(await submit(me, forged))
    })

    it('needs an activated profile first', async () => {
      const fresh = await createSignedInCitizen(t.deps, { level: 'registered' })
      const res = await t.app.request('/v1/profile/eid/nonce', jsonRequest('POST', fresh.headers()))
      expect(res.status).toBe(403)
      expect((await readJson(res)).code).toBe('identity.not_activated')
    })

    // security
    it('refuses citizen A’s assertion when citizen B replays it', async () => {
      const assertion = await sign(idp.keys, alg, { nonce: await nonceFor(me) })
      const office = await createOffice(t.deps)
      const other = await createSignedInCitizen(t.deps, { officeId: office.id, customerNumber: '999Z000001' })
      const res = await submit(other, assertion)
      expect(res.status).toBe(400)
      expect((await readJson(res)).reason).toBe('nonce')
      expect((await t.deps.store.citizens.get(other.citizen.id))?.securityLevel).toBe('code_verified')
    })

    it('accepts an assertion once: the rotated session no longer matches its nonce', async () => {
      const assertion = await sign(idp.keys, alg, { nonce: await nonceFor(me) })
      const first = await submit(me, assertion)
      expect(first.status).toBe(200)
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
      const { csrfToken } = await readJson(first)
      const again = await t.app.request(
        '/v1/profile/eid',
        jsonRequest(
          'POST',
          { Cookie: cookie, 'X-CSRF-Token': csrfToken, 'Content-Type': 'application/json' },
          { assertion },
        ),
      )
      expect(again.status).toBe(400)
      expect((await readJson(again)).reason).toBe('nonce')
    })
  })
}

describeBackends('eID without a configured identity provider', (kind) => {
  let t: TestApp
  beforeEach(async () => {
    t = await makeTestApp(kind)
  })
  afterEach(() => t.close())

  it('answers 503 "eID not available" for the nonce and for an assertion', async () => {
    const me = await createSignedInCitizen(t.deps)
    for (const path of ['/v1/profile/eid/nonce', '/v1/profile/eid']) {
      const res = await t.app.request(path, jsonRequest('POST', me.headers(), { assertion: 'a.b.c' }))
      expect(res.status).toBe(503)
      const body = await readJson(res)
      expect(body.code).toBe('eid.unavailable')
      expect(body.detail).toContain('eID is not available')
    }
  })
})
