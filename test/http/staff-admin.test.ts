import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen } from '../helpers/citizen.ts'
import {
  createOffice,
  createStaffToken,
  type Json,
  jsonRequest,
  readJson,
  type StaffToken,
} from '../helpers/staff.ts'

const body = readJson

describeBackends('staff tokens and the admin API', (kind) => {
  let t: TestApp
  let office: Office
  let admin: StaffToken
  beforeEach(async () => {
    t = await makeTestApp(kind)
    office = await createOffice(t.deps)
    admin = await createStaffToken(t.deps, office.id, 'office_admin')
  })
  afterEach(() => t.close())

  const post = (path: string, headers: Record<string, string>, payload: unknown) =>
    t.app.request(path, jsonRequest('POST', headers, payload))

  // happy
  it('lets an office admin create a caseworker whose token is shown once and works at once', async () => {
    const res = await post('/v1/admin/staff', admin.headers(), { role: 'caseworker', label: 'Frau Beispiel' })
    expect(res.status).toBe(201)
    const created = await body(res)
    expect(created.staff).toMatchObject({ role: 'caseworker', label: 'Frau Beispiel' })
    expect(created.token.token).toMatch(/^pk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/)
    expect(created.token.token.startsWith(`pk_${created.token.prefix}_`)).toBe(true)

    const issue = await post(
      '/v1/admin/activation-codes',
      { Authorization: `Bearer ${created.token.token}`, 'Content-Type': 'application/json' },
      { customerNumber: '123D456789' },
    )
    expect(issue.status).toBe(201)

    const list = await body(await t.app.request('/v1/admin/tokens', { headers: admin.headers() }))
    const listed = list.tokens.find((x: Json) => x.id === created.token.id)
    expect(listed).toMatchObject({
      staffId: created.staff.id,
      role: 'caseworker',
      prefix: created.token.prefix,
    })
    expect(JSON.stringify(list)).not.toContain(created.token.token)
    expect(Object.keys(listed)).not.toContain('tokenHash')
    expect(Object.keys(listed)).not.toContain('token')
  })

  it('issues a further token with the staff member’s own role', async () => {
    const worker = await createStaffToken(t.deps, office.id, 'service_center_agent')
    const res = await post('/v1/admin/tokens', admin.headers(), { staffId: worker.staffId })
    expect(res.status).toBe(201)
    const { token } = await body(res)
    expect(token).toMatchObject({
      staffId: worker.staffId,
      role: 'service_center_agent',
      officeId: office.id,
    })
    const me = await t.app.request('/v1/admin/tokens', {
      headers: { Authorization: `Bearer ${token.token}` },
    })
    expect(me.status).toBe(403)
  })

  it('revokes a token so that it gets 401 from then on and shows as revoked', async () => {
    const worker = await createStaffToken(t.deps, office.id, 'caseworker')
    const before = await post('/v1/admin/activation-codes', worker.headers(), {
      customerNumber: '111A222333',
    })
    expect(before.status).toBe(201)
    const del = await t.app.request(`/v1/admin/tokens/${worker.tokenId}`, {
      method: 'DELETE',
      headers: admin.headers(),
    })
    expect(del.status).toBe(204)
    const after = await post('/v1/admin/activation-codes', worker.headers(), { customerNumber: '111A222333' })
    expect(after.status).toBe(401)
    const list = await body(await t.app.request('/v1/admin/tokens', { headers: admin.headers() }))
    expect(list.tokens.find((x: Json) => x.id === worker.tokenId).revokedAt).toBeTruthy()
    const again = await t.app.request(`/v1/admin/tokens/${worker.tokenId}`, {
      method: 'DELETE',
      headers: admin.headers(),
    })
    expect(again.status).toBe(404)
  })

  it('records the last use at most once a minute and audits token use once per hour', async () => {
    let now = new Date('2026-03-02T09:10:00Z')
    t.deps.clock = () => now
    const get = () => t.app.request('/v1/admin/tokens', { headers: admin.headers() })
    const tokenOf = async () =>
      (await t.deps.store.apiTokens.list(office.id)).find((x) => x.id === admin.tokenId)
    const uses = async () =>
      (await t.deps.store.audit.list()).filter(
        (e) => e.action === 'token.used' && e.subjectId === admin.tokenId,
      )

    expect((await get()).status).toBe(200)
    expect((await tokenOf())?.lastUsedAt).toEqual(now)
    expect(await uses()).toHaveLength(1)
    expect((await uses())[0]?.details).toEqual({ firstUse: true, role: 'office_admin' })

    const first = now
    now = new Date('2026-03-02T09:10:30Z')
    await get()
    expect((await tokenOf())?.lastUsedAt).toEqual(first)

    now = new Date('2026-03-02T09:40:00Z')
    await get()
    expect((await tokenOf())?.lastUsedAt).toEqual(now)
    expect(await uses()).toHaveLength(1)

    now = new Date('2026-03-02T10:05:00Z')
    await get()
    expect(await uses()).toHaveLength(2)
    expect((await uses())[1]?.details).toEqual({ firstUse: false, role: 'office_admin' })
    expect((await uses())[1]).toMatchObject({
      actorKind: 'staff',
      actorId: admin.staffId,
      officeId: office.id,
    })
  })

  // error
  it('answers a missing, an unknown, a malformed and a revoked token with the same 401', async () => {
    const revoked = await createStaffToken(t.deps, office.id, 'office_admin')
    await t.deps.store.apiTokens.revoke(office.id, revoked.tokenId, new Date())
    const variants: Record<string, string>[] = [
      {},
      { Authorization: `Bearer pk_deadbeef_${'A'.repeat(43)}` },
      { Authorization: 'Basic dXNlcjpwYXNz' },
      { Authorization: `Bearer ${revoked.token}` },
    ]
    const answers = []
    for (const headers of variants) {
      const res = await t.app.request('/v1/admin/tokens', { headers })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      const { requestId: _, ...rest } = await body(res)
      answers.push(rest)
    }
    expect(answers[0]).toMatchObject({ code: 'auth.token_invalid', status: 401 })
    for (const a of answers) expect(a).toEqual(answers[0])
  })

  it('refuses admin routes to every role but office admin with 403', async () => {
    for (const role of ['caseworker', 'service_center_agent', 'integration'] as const) {
      const other = await createStaffToken(t.deps, office.id, role)
      const res = await post('/v1/admin/staff', other.headers(), { role: 'caseworker', label: 'x' })
      expect(res.status).toBe(403)
      expect((await body(res)).code).toBe('auth.role_forbidden')
    }
  })

  it('rejects an unknown role with 422 and malformed JSON with 400', async () => {
    const res = await post('/v1/admin/staff', admin.headers(), { role: 'superuser', label: 'x' })
    expect(res.status).toBe(422)
    expect((await body(res)).errors[0].path).toBe('role')
    const bad = await t.app.request('/v1/admin/staff', {
      method: 'POST',
      headers: admin.headers(),
      body: '{"role":',
    })
    expect(bad.status).toBe(400)
  })

  it('refuses a token whose role differs from the staff member’s role', async () => {
    const worker = await createStaffToken(t.deps, office.id, 'caseworker')
    const res = await post('/v1/admin/tokens', admin.headers(), {
      staffId: worker.staffId,
      role: 'office_admin',
    })
    expect(res.status).toBe(422)
    expect((await body(res)).code).toBe('staff.role_mismatch')
  })

  // security
  it('audits staff creation and token issue and revocation without the token itself', async () => {
    const res = await post('/v1/admin/staff', admin.headers(), { role: 'integration', label: 'E-Akte' })
    const { token } = await body(res)
    await t.app.request(`/v1/admin/tokens/${token.id}`, { method: 'DELETE', headers: admin.headers() })
    const entries = await t.deps.store.audit.list()
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['staff.created', 'token.created', 'token.revoked']),
    )
    expect(JSON.stringify(entries)).not.toContain(token.token)
    expect(JSON.stringify(entries)).not.toContain(admin.token)
    expect(t.logs.join('\n')).not.toContain(token.token)
  })

  it('needs no CSRF token for a Bearer request without a session cookie', async () => {
    const res = await post(
      '/v1/admin/staff',
      { ...admin.headers(), Origin: 'https://elsewhere.example' },
      { role: 'caseworker', label: 'x' },
    )
    expect(res.status).toBe(201)
  })

  it('still demands the CSRF token when a request carries a session cookie next to a Bearer token', async () => {
    const citizen = await createSignedInCitizen(t.deps)
    const headers = { ...admin.headers(), Cookie: citizen.cookie }
    const staffRoute = await post('/v1/admin/staff', headers, { role: 'caseworker', label: 'x' })
    expect(staffRoute.status).toBe(403)
    expect((await body(staffRoute)).code).toBe('auth.csrf')
    const citizenRoute = await t.app.request('/v1/profile', jsonRequest('PATCH', headers, { language: 'en' }))
    expect(citizenRoute.status).toBe(403)
    expect((await body(citizenRoute)).code).toBe('auth.csrf')
    expect((await t.deps.store.citizens.get(citizen.citizen.id))?.language).toBe('de')
  })
})
