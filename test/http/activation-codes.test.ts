import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { createOffice, createStaffToken, jsonRequest, readJson, type StaffToken } from '../helpers/staff.ts'

const DAY = 86_400_000
const CODE = /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/

describeBackends('activation codes', (kind) => {
  let t: TestApp
  let office: Office
  let caseworker: StaffToken
  let citizen: SignedIn
  beforeEach(async () => {
    t = await makeTestApp(kind, { TRUST_PROXY: 'true' })
    office = await createOffice(t.deps)
    caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
    citizen = await createSignedInCitizen(t.deps, { level: 'registered' })
  })
  afterEach(() => t.close())

  const issue = async (customerNumber: string, extra: Record<string, unknown> = {}, by = caseworker) =>
    t.app.request(
      '/v1/admin/activation-codes',
      jsonRequest('POST', by.headers(), { customerNumber, ...extra }),
    )
  const issued = async (customerNumber: string) =>
    (await readJson(await issue(customerNumber))).code as string
  const activate = (who: SignedIn, body: unknown, address = '198.51.100.7') =>
    t.app.request(
      '/v1/profile/activate',
      jsonRequest('POST', who.headers({ 'X-Forwarded-For': address }), body),
    )
  const withoutRequestId = async (res: Response) => {
    const { requestId: _, ...rest } = await readJson(res)
    return rest
  }

  // happy
  it('gives a caseworker a 12-character code shown as XXXX-XXXX-XXXX that expires in 30 days', async () => {
    const now = t.deps.clock()
    const res = await issue('123d 456789')
    expect(res.status).toBe(201)
    const body = await readJson(res)
    expect(body.code).toMatch(CODE)
    expect(body.customerNumber).toBe('123D456789')
    const expires = new Date(body.expiresAt).getTime()
    expect(Math.abs(expires - (now.getTime() + 30 * DAY))).toBeLessThan(60_000)
    const stored = await t.deps.store.activationCodes.findOpen(office.id, '123D456789')
    expect(stored?.codeHash).toEqual(t.deps.keyring.lookupMac('activation', body.code.replaceAll('-', '')))
    expect(stored?.createdByStaffId).toBe(caseworker.staffId)
  })

  it('activates the profile with a code typed in lower case, without dashes and with spaces', async () => {
    const code = await issued('123D456789')
    const typed = ` ${code.replaceAll('-', '').toLowerCase().slice(0, 6)} ${code.replaceAll('-', '').toLowerCase().slice(6)} `
    const res = await activate(citizen, { customerNumber: '123d456789', code: typed })
    expect(res.status).toBe(200)
    const body = await readJson(res)
    expect(body).toMatchObject({
      securityLevel: 'code_verified',
      office: { id: office.id, name: office.name },
      customerNumber: '123D456789',
    })
    const row = await t.deps.store.citizens.get(citizen.citizen.id)
    expect(row).toMatchObject({
      officeId: office.id,
      customerNumber: '123D456789',
      securityLevel: 'code_verified',
    })
    expect(await t.deps.store.activationCodes.findOpen(office.id, '123D456789')).toBeNull()
    const audit = (await t.deps.store.audit.list()).find((e) => e.action === 'citizen.activated')
    expect(audit).toMatchObject({ actorKind: 'citizen', actorId: citizen.citizen.id, officeId: office.id })
    expect(JSON.stringify(audit)).not.toContain(code.replaceAll('-', ''))
  })

  it('rotates the session on activation: the old cookie stops working, the new one works', async () => {
    const code = await issued('123D456789')
    const res = await activate(citizen, { customerNumber: '123D456789', code })
    expect(res.status).toBe(200)
    const setCookie = res.headers.get('set-cookie') ?? ''
    const fresh = setCookie.split(';')[0] ?? ''
    expect(fresh).not.toBe(citizen.cookie)
    expect((await t.app.request('/v1/profile', { headers: { Cookie: citizen.cookie } })).status).toBe(401)
    expect((await t.app.request('/v1/profile', { headers: { Cookie: fresh } })).status).toBe(200)
  })

  it('voids the older open code when the office issues a new one', async () => {
    const first = await issued('123D456789')
    const second = await issued('123D456789')
    expect((await activate(citizen, { customerNumber: '123D456789', code: first })).status).toBe(400)
    expect((await activate(citizen, { customerNumber: '123D456789', code: second })).status).toBe(200)
  })

  // error
  it('gives the same answer for an unknown customer number and for a wrong code', async () => {
    await issued('123D456789')
    const unknown = await activate(citizen, { customerNumber: '999Z999999', code: 'AAAA-BBBB-CCCC' })
    const wrong = await activate(citizen, { customerNumber: '123D456789', code: 'AAAA-BBBB-CCCC' })
    expect(unknown.status).toBe(400)
    expect(wrong.status).toBe(400)
    const a = await withoutRequestId(unknown)
    expect(a.code).toBe('activation.code_invalid')
    expect(await withoutRequestId(wrong)).toEqual(a)
  })

  it('says clearly that an expired code has expired', async () => {
    // Issued 31 days ago with the default 30-day validity (the citizen's session stays fresh).
    const realClock = t.deps.clock
    const past = new Date(realClock().getTime() - 31 * DAY)
    t.deps.clock = () => past
    const code = await issued('123D456789')
    t.deps.clock = realClock
    const res = await activate(citizen, { customerNumber: '123D456789', code })
    expect(res.status).toBe(400)
    const body = await readJson(res)
    expect(body.code).toBe('activation.code_expired')
    expect(body.detail).toContain('abgelaufen')
    expect(body.detail).toContain('expired')
    expect((await t.deps.store.citizens.get(citizen.citizen.id))?.securityLevel).toBe('registered')
  })

  it('voids the code after five wrong entries, so that even the right code then fails', async () => {
    const code = await issued('123D456789')
    for (let i = 0; i < 5; i++) {
      const res = await activate(citizen, { customerNumber: '123D456789', code: `WRNG-000${i}-ZZZZ` })
      expect(res.status).toBe(400)
    }
    expect(await t.deps.store.activationCodes.findOpen(office.id, '123D456789')).toBeNull()
    const right = await activate(citizen, { customerNumber: '123D456789', code })
    expect(right.status).toBe(400)
    const body = await readJson(right)
    expect(body.code).toBe('activation.code_invalid')
    expect(body.detail).toContain('neuen Code')
    expect(body.detail).toContain('ask your office for a new code')
    expect((await t.deps.store.citizens.get(citizen.citizen.id))?.securityLevel).toBe('registered')
    const failures = (await t.deps.store.audit.list()).filter((e) => e.action === 'citizen.activation_failed')
    expect(failures.at(4)?.details).toMatchObject({ reason: 'wrong_code', attempts: 5, voided: true })
  })

  it('refuses a customer number that already belongs to another profile with 409', async () => {
    const first = await issued('123D456789')
    expect((await activate(citizen, { customerNumber: '123D456789', code: first })).status).toBe(200)
    const other = await createSignedInCitizen(t.deps, { level: 'registered' })
    const second = await issued('123D456789')
    const res = await activate(other, { customerNumber: '123D456789', code: second })
    expect(res.status).toBe(409)
    expect((await readJson(res)).code).toBe('activation.customer_taken')
    expect(await t.deps.store.activationCodes.findOpen(office.id, '123D456789')).not.toBeNull()
  })

  it('rejects expiry dates in the past or more than 90 days ahead, and malformed codes, with 422', async () => {
    const now = t.deps.clock().getTime()
    expect((await issue('123D456789', { expiresAt: new Date(now - DAY).toISOString() })).status).toBe(422)
    expect((await issue('123D456789', { expiresAt: new Date(now + 91 * DAY).toISOString() })).status).toBe(
      422,
    )
    const ok = await issue('123D456789', { expiresAt: new Date(now + 7 * DAY).toISOString() })
    expect(ok.status).toBe(201)
    expect(new Date((await readJson(ok)).expiresAt).getTime()).toBe(now + 7 * DAY)
    const short = await activate(citizen, { customerNumber: '123D456789', code: 'ABC-123' })
    expect(short.status).toBe(422)
    expect((await readJson(short)).errors[0].path).toBe('code')
  })

  it('lets only office admins and caseworkers issue codes', async () => {
    const admin = await createStaffToken(t.deps, office.id, 'office_admin')
    expect((await issue('123D456789', {}, admin)).status).toBe(201)
    for (const role of ['service_center_agent', 'integration'] as const) {
      const other = await createStaffToken(t.deps, office.id, role)
      expect((await issue('123D456789', {}, other)).status).toBe(403)
    }
  })

  // security
  it('requires a verified second factor before a code can be entered', async () => {
    const halfway = await createSignedInCitizen(t.deps, { level: 'registered', mfa: null })
    const code = await issued('123D456789')
    const res = await activate(halfway, { customerNumber: '123D456789', code })
    expect(res.status).toBe(403)
    expect((await readJson(res)).code).toBe('auth.mfa_required')
  })

  it('throttles attempts per citizen with 429 and Retry-After, and audits the lockout', async () => {
    let last: Response | undefined
    for (let i = 0; i < 11; i++) {
      last = await activate(
        citizen,
        { customerNumber: `999Z00000${i % 10}`, code: 'AAAA-BBBB-CCCC' },
        `203.0.113.${i}`,
      )
    }
    expect(last?.status).toBe(429)
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0)
    const audit = await t.deps.store.audit.list()
    expect(
      audit.some((e) => e.action === 'citizen.activation_failed' && e.details.reason === 'throttled'),
    ).toBe(true)
    expect(t.logs.some((l) => l.includes('activation attempts throttled'))).toBe(true)
  })
})

describeBackends('activation throttling per client address', (kind) => {
  let t: TestApp
  beforeEach(async () => {
    t = await makeTestApp(kind, { TRUST_PROXY: 'true', LOGIN_MAX_ATTEMPTS_PER_IP: '3' })
  })
  afterEach(() => t.close())

  it('answers 429 to a fourth attempt from one address, whichever citizens make them', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const who = await createSignedInCitizen(t.deps, { level: 'registered' })
      const res = await t.app.request(
        '/v1/profile/activate',
        jsonRequest('POST', who.headers({ 'X-Forwarded-For': '192.0.2.44' }), {
          customerNumber: '123D456789',
          code: 'AAAA-BBBB-CCCC',
        }),
      )
      statuses.push(res.status)
    }
    expect(statuses).toEqual([400, 400, 400, 429])
    const elsewhere = await createSignedInCitizen(t.deps, { level: 'registered' })
    const res = await t.app.request(
      '/v1/profile/activate',
      jsonRequest('POST', elsewhere.headers({ 'X-Forwarded-For': '192.0.2.45' }), {
        customerNumber: '123D456789',
        code: 'AAAA-BBBB-CCCC',
      }),
    )
    expect(res.status).toBe(400)
  })
})
