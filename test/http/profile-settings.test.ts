import { afterEach, beforeEach, expect, it } from 'vitest'
import { hashPassword } from '../../src/crypto/password.ts'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { createOffice, jsonRequest, readJson } from '../helpers/staff.ts'

const PASSWORD = 'Sommer-Regen#2026x'

describeBackends('the citizen profile', (kind) => {
  let t: TestApp
  let office: Office
  let me: SignedIn
  beforeEach(async () => {
    t = await makeTestApp(kind)
    office = await createOffice(t.deps)
    me = await createSignedInCitizen(t.deps, { officeId: office.id, customerNumber: '123D456789' })
  })
  afterEach(() => t.close())

  const get = (who = me) => t.app.request('/v1/profile', { headers: { Cookie: who.cookie } })
  const patch = (body: unknown, who = me) =>
    t.app.request('/v1/profile', jsonRequest('PATCH', who.headers(), body))
  const auditOf = async (action: string) =>
    (await t.deps.store.audit.list()).filter((e) => e.action === action)

  // happy
  it('shows level, office, customer number and the current settings', async () => {
    const res = await get()
    expect(res.status).toBe(200)
    expect(await readJson(res)).toEqual({
      securityLevel: 'code_verified',
      office: { id: office.id, name: office.name },
      customerNumber: '123D456789',
      onlineCommunication: { enabled: false, changedAt: null, consentVersion: null },
      notifications: { email: true, smsAppointments: false, phone: null },
      language: 'de',
    })
  })

  it('turns online communication on with a consent version and off again, recording time and audit', async () => {
    const at = new Date('2026-04-01T08:00:00Z')
    t.deps.clock = () => at
    me = await createSignedInCitizen(t.deps, { officeId: office.id, customerNumber: '123D456790' })
    const on = await patch({ onlineCommunication: { enabled: true, consentVersion: '2026-01' } })
    expect(on.status).toBe(200)
    expect((await readJson(on)).onlineCommunication).toEqual({
      enabled: true,
      changedAt: at.toISOString(),
      consentVersion: '2026-01',
    })
    const off = await patch({ onlineCommunication: { enabled: false } })
    expect((await readJson(off)).onlineCommunication.enabled).toBe(false)
    const audits = await auditOf('citizen.online_comm_changed')
    expect(audits.map((a) => a.details)).toEqual([
      { old: false, new: true, consentVersion: '2026-01' },
      { old: true, new: false, consentVersion: '2026-01' },
    ])
    expect(audits[0]).toMatchObject({ actorKind: 'citizen', actorId: me.citizen.id, officeId: office.id })
  })

  it('shows no online-communication consent before the citizen gave one', async () => {
    const body = await readJson(await get())
    expect(body.onlineCommunication).toEqual({ enabled: false, changedAt: null, consentVersion: null })
  })

  it('keeps the SMS phone number sealed and shows only its last two digits', async () => {
    const res = await patch({ notifications: { smsAppointments: true, phone: '+49 151 2345-6789' } })
    expect(res.status).toBe(200)
    expect((await readJson(res)).notifications).toEqual({
      email: true,
      smsAppointments: true,
      phone: '+•••••••••••89',
    })
    const row = await t.deps.store.citizens.get(me.citizen.id)
    expect(row?.phoneEnc).toBeInstanceOf(Buffer)
    expect(row?.phoneEnc?.toString('latin1')).not.toContain('2345')
    const audit = await auditOf('citizen.notifications_changed')
    expect(audit[0]?.details).toEqual({
      email: { old: true, new: true },
      smsAppointments: { old: false, new: true },
      phoneChanged: true,
    })
    expect(JSON.stringify(audit)).not.toContain('23456789')
  })

  it('forgets the phone number when appointment SMS are turned off', async () => {
    await patch({ notifications: { smsAppointments: true, phone: '0049 170 1234567' } })
    const res = await patch({ notifications: { smsAppointments: false } })
    expect((await readJson(res)).notifications).toEqual({ email: true, smsAppointments: false, phone: null })
    expect((await t.deps.store.citizens.get(me.citizen.id))?.phoneEnc).toBeNull()
  })

  it('switches language and email notifications', async () => {
    const res = await patch({ language: 'en', notifications: { email: false } })
    const body = await readJson(res)
    expect(body.language).toBe('en')
    expect(body.notifications.email).toBe(false)
  })

  it('deletes the account after the current password, ends the session and audits without personal data', async () => {
    await t.deps.store.citizens.update(me.citizen.id, { passwordHash: await hashPassword(PASSWORD) })
    const res = await t.app.request(
      '/v1/profile',
      jsonRequest('DELETE', me.headers(), { password: PASSWORD }),
    )
    expect(res.status).toBe(204)
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/)
    expect(await t.deps.store.citizens.get(me.citizen.id)).toBeNull()
    expect(await t.deps.store.sessions.deleteForCitizen(me.citizen.id)).toBe(0)
    expect((await get()).status).toBe(401)
    const [entry] = await auditOf('citizen.deleted')
    expect(entry).toMatchObject({ actorId: me.citizen.id, subjectId: me.citizen.id, details: {} })
  })

  // error
  it('needs a consent version to turn online communication on', async () => {
    const res = await patch({ onlineCommunication: { enabled: true } })
    expect(res.status).toBe(422)
    expect((await readJson(res)).code).toBe('profile.consent_required')
    expect((await t.deps.store.citizens.get(me.citizen.id))?.onlineComm).toBe(false)
  })

  it('needs a phone number for appointment SMS and refuses malformed ones', async () => {
    const missing = await patch({ notifications: { smsAppointments: true } })
    expect(missing.status).toBe(422)
    expect((await readJson(missing)).code).toBe('profile.phone_required')
    const bad = await patch({ notifications: { smsAppointments: true, phone: '0151 234' } })
    expect(bad.status).toBe(422)
    expect((await readJson(bad)).errors[0].path).toBe('notifications.phone')
  })

  it('refuses unknown fields and unknown languages with 422', async () => {
    expect((await patch({ securityLevel: 'eid' })).status).toBe(422)
    expect((await patch({ language: 'fr' })).status).toBe(422)
    expect((await t.deps.store.citizens.get(me.citizen.id))?.securityLevel).toBe('code_verified')
  })

  it('keeps the account when the password is wrong', async () => {
    await t.deps.store.citizens.update(me.citizen.id, { passwordHash: await hashPassword(PASSWORD) })
    const res = await t.app.request(
      '/v1/profile',
      jsonRequest('DELETE', me.headers(), { password: 'Wrong-Password#1' }),
    )
    expect(res.status).toBe(403)
    expect((await readJson(res)).code).toBe('profile.wrong_password')
    expect(await t.deps.store.citizens.get(me.citizen.id)).not.toBeNull()
  })

  // security
  it('answers 401 without a session and 403 before the second factor', async () => {
    expect((await t.app.request('/v1/profile')).status).toBe(401)
    const halfway = await createSignedInCitizen(t.deps, { mfa: null })
    const res = await get(halfway)
    expect(res.status).toBe(403)
    expect((await readJson(res)).code).toBe('auth.mfa_required')
  })

  it('refuses a change without the CSRF token', async () => {
    const res = await t.app.request('/v1/profile', {
      method: 'PATCH',
      headers: { Cookie: me.cookie, 'Content-Type': 'application/json' },
      body: JSON.stringify({ language: 'en' }),
    })
    expect(res.status).toBe(403)
    expect((await t.deps.store.citizens.get(me.citizen.id))?.language).toBe('de')
  })
})
