import { randomInt } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen } from '../helpers/citizen.ts'
import { storedBytes } from '../helpers/raw-store.ts'
import { createOffice, createStaffToken, jsonRequest, readJson } from '../helpers/staff.ts'

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('')
const letters = (n: number) =>
  Array.from({ length: n }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ'[randomInt(24)]).join('')

describeBackends('no plaintext secrets in the database or the logs', (kind) => {
  let t: TestApp
  beforeEach(async () => {
    t = await makeTestApp(kind)
  })
  afterEach(() => t.close())

  it('stores tokens, activation codes and phone numbers only hashed or sealed, and never logs them', async () => {
    const office = await createOffice(t.deps)
    const admin = await createStaffToken(t.deps, office.id, 'office_admin')

    const created = await readJson(
      await t.app.request(
        '/v1/admin/staff',
        jsonRequest('POST', admin.headers(), { role: 'caseworker', label: 'Marker' }),
      ),
    )
    const token: string = created.token.token
    const worker = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
    const customerNumber = `${digits(3)}M${digits(6)}`
    const issued = await readJson(
      await t.app.request('/v1/admin/activation-codes', jsonRequest('POST', worker, { customerNumber })),
    )
    const code: string = issued.code.replaceAll('-', '')
    const wrongCode = letters(12)

    const citizen = await createSignedInCitizen(t.deps, { level: 'registered' })
    const wrong = await t.app.request(
      '/v1/profile/activate',
      jsonRequest('POST', citizen.headers(), { customerNumber, code: wrongCode }),
    )
    expect(wrong.status).toBe(400)
    const ok = await t.app.request(
      '/v1/profile/activate',
      jsonRequest('POST', citizen.headers(), { customerNumber, code: code.toLowerCase() }),
    )
    expect(ok.status).toBe(200)
    const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const { csrfToken } = await readJson(ok)

    const phoneDigits = `1579${digits(7)}`
    const patched = await t.app.request(
      '/v1/profile',
      jsonRequest(
        'PATCH',
        { Cookie: cookie, 'X-CSRF-Token': csrfToken, 'Content-Type': 'application/json' },
        { notifications: { smsAppointments: true, phone: `+49 ${phoneDigits}` } },
      ),
    )
    expect(patched.status).toBe(200)

    const markers: Record<string, string> = {
      token,
      tokenSecret: token.split('_').slice(2).join('_'),
      adminToken: admin.token,
      code,
      codeFormatted: issued.code,
      wrongCode,
      phone: phoneDigits,
    }
    const stored = await storedBytes(t.deps.config.db)
    expect(stored.length).toBeGreaterThan(0)
    // The scan can find things: the customer number is plain by design (routing and lookups need it).
    expect(stored.some((b) => b.includes(customerNumber))).toBe(true)
    for (const [name, marker] of Object.entries(markers)) {
      expect(
        stored.some((b) => b.includes(marker)),
        `${name} in the database`,
      ).toBe(false)
      expect(
        stored.some((b) => b.includes(marker.toLowerCase())),
        `${name} (lower case) in the database`,
      ).toBe(false)
    }
    const logs = t.logs.join('\n')
    expect(logs).toContain('request')
    for (const [name, marker] of Object.entries(markers))
      expect(logs.includes(marker), `${name} in the logs`).toBe(false)
  })
})
