import { randomBytes, randomUUID } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { createOffice, createStaffToken, jsonRequest, readJson, type StaffToken } from '../helpers/staff.ts'

type Call = { method: string; path: string; body?: unknown }

const staffRoutes = (tokenId: string): Call[] => [
  { method: 'GET', path: '/v1/admin/staff' },
  { method: 'POST', path: '/v1/admin/staff', body: { role: 'caseworker', label: 'x' } },
  { method: 'GET', path: '/v1/admin/tokens' },
  { method: 'POST', path: '/v1/admin/tokens', body: { staffId: randomUUID() } },
  { method: 'DELETE', path: `/v1/admin/tokens/${tokenId}` },
  { method: 'POST', path: '/v1/admin/activation-codes', body: { customerNumber: '123D456789' } },
]
const citizenRoutes: Call[] = [
  { method: 'GET', path: '/v1/profile' },
  { method: 'PATCH', path: '/v1/profile', body: { language: 'en' } },
  { method: 'DELETE', path: '/v1/profile', body: { password: 'x' } },
  {
    method: 'POST',
    path: '/v1/profile/activate',
    body: { customerNumber: '123D456789', code: 'AAAABBBBCCCC' },
  },
  { method: 'POST', path: '/v1/profile/eid/nonce' },
  { method: 'POST', path: '/v1/profile/eid', body: { assertion: 'a.b.c' } },
]
const withoutRequestId = async (res: Response) => {
  const { requestId: _, ...rest } = await readJson(res)
  return rest
}

describeBackends('authorisation: citizens see only themselves, staff only their office', (kind) => {
  let t: TestApp
  let x: Office
  let y: Office
  let adminX: StaffToken
  let adminY: StaffToken
  let a: SignedIn
  let b: SignedIn
  beforeEach(async () => {
    t = await makeTestApp(kind)
    x = await createOffice(t.deps, 'Jobcenter X')
    y = await createOffice(t.deps, 'Jobcenter Y')
    adminX = await createStaffToken(t.deps, x.id, 'office_admin')
    adminY = await createStaffToken(t.deps, y.id, 'office_admin')
    a = await createSignedInCitizen(t.deps, { officeId: x.id, customerNumber: '111A000001' })
    b = await createSignedInCitizen(t.deps, { officeId: y.id, customerNumber: '222B000002' })
  })
  afterEach(() => t.close())

  const send = (call: Call, headers: Record<string, string>) =>
    t.app.request(call.path, jsonRequest(call.method, headers, call.body))

  // citizens
  it('gives citizen A the same 404 for B’s passkey as for a missing one, and leaves B’s passkey alone', async () => {
    const bKey = randomBytes(16).toString('base64url')
    await t.deps.store.passkeys.create({
      id: bKey,
      citizenId: b.citizen.id,
      publicKey: randomBytes(65),
      counter: 0,
      transports: ['internal'],
    })
    const foreign = await send(
      { method: 'DELETE', path: `/v1/auth/mfa/passkeys/${bKey}`, body: { password: 'x' } },
      a.headers(),
    )
    const missing = await send(
      {
        method: 'DELETE',
        path: `/v1/auth/mfa/passkeys/${randomBytes(16).toString('base64url')}`,
        body: { password: 'x' },
      },
      a.headers(),
    )
    expect(foreign.status).toBe(404)
    expect(await withoutRequestId(foreign)).toEqual(await withoutRequestId(missing))
    expect(await t.deps.store.passkeys.get(b.citizen.id, bKey)).not.toBeNull()
  })

  it('lets the profile routes act on the caller only', async () => {
    const seen = await readJson(await t.app.request('/v1/profile', { headers: { Cookie: a.cookie } }))
    expect(seen.customerNumber).toBe('111A000001')
    expect(seen.office.id).toBe(x.id)

    const smuggled = await send(
      { method: 'PATCH', path: '/v1/profile', body: { citizenId: b.citizen.id, language: 'en' } },
      a.headers(),
    )
    expect(smuggled.status).toBe(422)
    const own = await send({ method: 'PATCH', path: '/v1/profile', body: { language: 'en' } }, a.headers())
    expect(own.status).toBe(200)
    expect((await t.deps.store.citizens.get(a.citizen.id))?.language).toBe('en')
    expect((await t.deps.store.citizens.get(b.citizen.id))?.language).toBe('de')
  })

  it('does not let B’s session cookie with A’s CSRF token through', async () => {
    const res = await t.app.request(
      '/v1/profile',
      jsonRequest('PATCH', { ...b.headers(), 'X-CSRF-Token': a.csrf }, { language: 'en' }),
    )
    expect(res.status).toBe(403)
    expect((await t.deps.store.citizens.get(b.citizen.id))?.language).toBe('de')
  })

  it('answers 401 on every citizen route without a session', async () => {
    for (const call of citizenRoutes) {
      const res = await send(call, { 'Content-Type': 'application/json' })
      expect(res.status, `${call.method} ${call.path}`).toBe(401)
    }
  })

  it('does not sign a citizen in with a staff token', async () => {
    for (const call of citizenRoutes) {
      const res = await send(call, adminX.headers())
      expect(res.status, `${call.method} ${call.path}`).toBe(401)
    }
  })

  // staff
  it('gives staff of office X the same 404 for office Y’s token as for a missing one', async () => {
    const foreign = await t.app.request(`/v1/admin/tokens/${adminY.tokenId}`, {
      method: 'DELETE',
      headers: adminX.headers(),
    })
    const missing = await t.app.request(`/v1/admin/tokens/${randomUUID()}`, {
      method: 'DELETE',
      headers: adminX.headers(),
    })
    expect(foreign.status).toBe(404)
    expect(await withoutRequestId(foreign)).toEqual(await withoutRequestId(missing))
    expect((await t.app.request('/v1/admin/tokens', { headers: adminY.headers() })).status).toBe(200)
  })

  it('gives staff of office X the same 404 for office Y’s staff member as for a missing one', async () => {
    const workerY = await createStaffToken(t.deps, y.id, 'caseworker')
    const foreign = await send(
      { method: 'POST', path: '/v1/admin/tokens', body: { staffId: workerY.staffId } },
      adminX.headers(),
    )
    const missing = await send(
      { method: 'POST', path: '/v1/admin/tokens', body: { staffId: randomUUID() } },
      adminX.headers(),
    )
    expect(foreign.status).toBe(404)
    expect(await withoutRequestId(foreign)).toEqual(await withoutRequestId(missing))
  })

  it('lists only the own office’s staff and tokens', async () => {
    const tokens = await readJson(await t.app.request('/v1/admin/tokens', { headers: adminX.headers() }))
    expect(tokens.tokens.map((tk: { officeId: string }) => tk.officeId)).toEqual([x.id])
    const staff = await readJson(await t.app.request('/v1/admin/staff', { headers: adminX.headers() }))
    expect(staff.staff.map((s: { id: string }) => s.id)).toEqual([adminX.staffId])
  })

  it('issues activation codes for the token’s own office whatever the body says', async () => {
    const worker = await createStaffToken(t.deps, x.id, 'caseworker')
    const res = await send(
      {
        method: 'POST',
        path: '/v1/admin/activation-codes',
        body: { customerNumber: '123D456789', officeId: y.id },
      },
      worker.headers(),
    )
    expect(res.status).toBe(201)
    expect(await t.deps.store.activationCodes.findOpen(x.id, '123D456789')).not.toBeNull()
    expect(await t.deps.store.activationCodes.findOpen(y.id, '123D456789')).toBeNull()
  })

  it('answers 401 to a revoked token on every staff route', async () => {
    const gone = await createStaffToken(t.deps, x.id, 'office_admin')
    await t.deps.store.apiTokens.revoke(x.id, gone.tokenId, new Date())
    for (const call of staffRoutes(adminX.tokenId)) {
      const res = await send(call, gone.headers())
      expect(res.status, `${call.method} ${call.path}`).toBe(401)
    }
  })

  it('answers 403 to an integration token on every admin route', async () => {
    const integration = await createStaffToken(t.deps, x.id, 'integration')
    for (const call of staffRoutes(adminX.tokenId)) {
      const res = await send(call, integration.headers())
      expect(res.status, `${call.method} ${call.path}`).toBe(403)
    }
    expect((await t.deps.store.apiTokens.list(x.id)).every((tk) => tk.revokedAt === null)).toBe(true)
  })

  it('answers 401 on every staff route without a token, and does not accept a citizen session there', async () => {
    for (const call of staffRoutes(adminX.tokenId)) {
      expect(
        (await send(call, { 'Content-Type': 'application/json' })).status,
        `${call.method} ${call.path}`,
      ).toBe(401)
      expect((await send(call, a.headers())).status, `${call.method} ${call.path}`).toBe(401)
    }
  })
})
