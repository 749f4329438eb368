import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { createOffice, createStaffToken, jsonRequest, readJson, type StaffToken } from '../helpers/staff.ts'
import { enrolTotp, openSession, sessionAfter } from '../helpers/totp.ts'

/** "A citizen who lost every factor is re-activated with a new activation code from the office." */
describeBackends('factor reset with a new activation code', (kind) => {
  let t: TestApp
  let office: Office
  let caseworker: StaffToken
  let enrolled: SignedIn
  const customerNumber = '555D123456'
  beforeEach(async () => {
    t = await makeTestApp(kind)
    office = await createOffice(t.deps)
    caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
    const fresh = await createSignedInCitizen(t.deps, {
      level: 'code_verified',
      officeId: office.id,
      customerNumber,
      mfa: null,
    })
    enrolled = (await enrolTotp(t, fresh)).session
  })
  afterEach(() => t.close())

  const newCode = async (number = customerNumber) =>
    (
      await readJson(
        await t.app.request(
          '/v1/admin/activation-codes',
          jsonRequest('POST', caseworker.headers(), { customerNumber: number }),
        ),
      )
    ).code as string
  const reset = (who: SignedIn, body: unknown) =>
    t.app.request('/v1/auth/mfa/reset-with-code', jsonRequest('POST', who.headers(), body))

  it('removes every factor and recovery code, ends the other sessions and lets the citizen enrol again', async () => {
    const lostPhone = await openSession(t.deps, enrolled.citizen)
    const code = await newCode()
    const res = await reset(lostPhone, { customerNumber, code })
    expect(res.status).toBe(200)
    const body = await readJson(res)
    expect(body).toMatchObject({ stage: 'mfa', mfaMethods: ['enrol'] })
    expect(await t.deps.store.totp.get(enrolled.citizen.id)).toBeNull()
    expect(await t.deps.store.recoveryCodes.countUnused(enrolled.citizen.id)).toBe(0)
    expect((await t.app.request('/v1/profile', { headers: enrolled.headers() })).status).toBe(401)
    const after = sessionAfter(t.deps, lostPhone, res, body.csrfToken)
    const again = await enrolTotp(t, after)
    expect((await t.app.request('/v1/profile', { headers: again.session.headers() })).status).toBe(200)
    const actions = (await t.deps.store.audit.list(0, 500)).map((e) => e.action)
    expect(actions).toContain('mfa.reset_by_office_code')
  })

  it('refuses a wrong code, and a code issued for another customer number, without touching the factors', async () => {
    const session = await openSession(t.deps, enrolled.citizen)
    await newCode()
    expect((await reset(session, { customerNumber, code: 'AAAA-BBBB-CCCC' })).status).toBe(400)
    const foreign = await newCode('999D999999')
    expect((await reset(session, { customerNumber: '999D999999', code: foreign })).status).toBe(400)
    expect(await t.deps.store.totp.get(enrolled.citizen.id)).not.toBeNull()
  })

  it('is not a way around activation: a citizen without a linked customer number gets 409', async () => {
    const stranger = await createSignedInCitizen(t.deps, { level: 'registered', mfa: null })
    const code = await newCode('777D777777')
    const res = await reset(stranger, { customerNumber: '777D777777', code })
    expect(res.status).toBe(409)
    expect((await readJson(res)).code).toBe('activation.not_activated')
  })

  it('needs a signed-in session (password step) first', async () => {
    const res = await t.app.request(
      '/v1/auth/mfa/reset-with-code',
      jsonRequest('POST', { 'Content-Type': 'application/json' }, { customerNumber, code: 'AAAA-BBBB-CCCC' }),
    )
    expect(res.status).toBe(401)
  })
})
