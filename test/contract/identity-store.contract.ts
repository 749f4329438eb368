import { randomBytes, randomUUID } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { AnyStore } from '../../src/store/create-store.ts'
import type { NewSession } from '../../src/store/identity.types.ts'
import { type BackendKind, makeTestDatabase, type TestDatabase } from '../helpers/backends.ts'
import { countRows, newCitizen, newOffice, openStore } from './store.contract.ts'

const T0 = new Date('2030-03-04T05:06:07.000Z')
const at = (ms: number) => new Date(T0.getTime() + ms)
const HOUR = 3_600_000

/** The identity repositories' behaviour on every backend, with their atomic guarantees under concurrency. */
export function runIdentityStoreContract(kind: BackendKind) {
  let database: TestDatabase
  let store: AnyStore

  beforeEach(async () => {
    database = await makeTestDatabase(kind)
    store = openStore(database.url)
    await store.migrate()
  })
  afterEach(async () => {
    await store.close()
    await database.cleanup()
  })

  async function citizen(officeId: string | null = null) {
    return store.citizens.create(newCitizen(officeId))
  }
  const newSession = (citizenId: string, patch: Partial<NewSession> = {}): NewSession => ({
    id: randomBytes(32),
    citizenId,
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: at(12 * HOUR),
    ...patch,
  })

  it('round-trips a citizen patch, including an encrypted phone number set and cleared again', async () => {
    const c = await citizen()
    expect(c.phoneEnc).toBeNull()
    expect(c.smsAppointments).toBe(false)
    const phone = randomBytes(40)
    expect(
      await store.citizens.update(c.id, {
        phoneEnc: phone,
        smsAppointments: true,
        consentVersion: '2030-01',
        passwordChangedAt: T0,
        emailConfirmedAt: at(1),
        securityLevel: 'code_verified',
        language: 'en',
        onlineComm: false,
        onlineCommChangedAt: at(2),
      }),
    ).toBe(true)
    const got = await store.citizens.get(c.id)
    expect(got?.phoneEnc?.equals(phone)).toBe(true)
    expect(got).toMatchObject({
      smsAppointments: true,
      consentVersion: '2030-01',
      passwordChangedAt: T0,
      emailConfirmedAt: at(1),
      securityLevel: 'code_verified',
      language: 'en',
      onlineComm: false,
      onlineCommChangedAt: at(2),
      emailEnc: c.emailEnc,
    })
    expect(await store.citizens.update(c.id, { phoneEnc: null, smsAppointments: false })).toBe(true)
    expect((await store.citizens.get(c.id))?.phoneEnc).toBeNull()
    expect(await store.citizens.update(c.id, {})).toBe(true)
    expect(await store.citizens.update(randomUUID(), { language: 'de' })).toBe(false)
  })

  it('finds a citizen by customer number only once the profile is activated in that office', async () => {
    const office = await store.offices.create(newOffice('HOME'))
    const other = await store.offices.create(newOffice('OTHER'))
    const c = await citizen()
    expect(await store.citizens.findByCustomerNumber(office.id, '123D456789')).toBeNull()
    await store.citizens.update(c.id, { officeId: office.id, customerNumber: '123D456789' })
    expect(await store.citizens.findByCustomerNumber(office.id, '123D456789')).toBeNull()
    await store.citizens.update(c.id, { securityLevel: 'code_verified' })
    expect((await store.citizens.findByCustomerNumber(office.id, '123D456789'))?.id).toBe(c.id)
    expect(await store.citizens.findByCustomerNumber(other.id, '123D456789')).toBeNull()
  })

  it('deletes a citizen together with sessions, factors, codes, passkeys and email tokens', async () => {
    const c = await citizen()
    const keep = await citizen()
    for (const who of [c, keep]) {
      await store.sessions.create(newSession(who.id))
      await store.totp.upsert(who.id, randomBytes(40), T0)
      await store.recoveryCodes.replaceAll(who.id, [randomBytes(32), randomBytes(32)], T0)
      await store.passkeys.create({
        id: randomUUID(),
        citizenId: who.id,
        publicKey: randomBytes(77),
        counter: 0,
        transports: ['internal'],
      })
      await store.emailTokens.create({
        id: randomUUID(),
        citizenId: who.id,
        purpose: 'confirm',
        tokenHash: randomBytes(32),
        expiresAt: at(HOUR),
      })
    }
    expect(await store.citizens.delete(c.id)).toBe(true)
    expect(await store.citizens.get(c.id)).toBeNull()
    expect(await store.citizens.delete(c.id)).toBe(false)
    for (const [table, n] of [
      ['citizens', 1],
      ['sessions', 1],
      ['totp_factors', 1],
      ['recovery_codes', 2],
      ['passkeys', 1],
      ['email_tokens', 1],
    ] as const) {
      expect(await countRows(store, table), table).toBe(n)
    }
    expect(await store.totp.get(keep.id)).not.toBeNull()
  })

  it('lists the staff and api tokens of one office only', async () => {
    const home = await store.offices.create(newOffice('HOME'))
    const other = await store.offices.create(newOffice('OTHER'))
    const b = await store.staff.create({
      id: randomUUID(),
      officeId: home.id,
      role: 'caseworker',
      label: 'B',
    })
    const a = await store.staff.create({
      id: randomUUID(),
      officeId: home.id,
      role: 'integration',
      label: 'A',
    })
    await store.staff.create({ id: randomUUID(), officeId: other.id, role: 'caseworker', label: 'X' })
    expect((await store.staff.list(home.id)).map((s) => s.label)).toEqual(['A', 'B'])
    const token = await store.apiTokens.create({
      id: randomUUID(),
      staffId: a.id,
      officeId: home.id,
      role: 'integration',
      prefix: 'pk_a',
      tokenHash: randomBytes(32),
    })
    expect(await store.apiTokens.list(home.id)).toEqual([token])
    expect(await store.apiTokens.list(other.id)).toEqual([])
    expect(b.officeId).toBe(home.id)
  })

  it('consumes an email token once, only with its purpose and before it expires', async () => {
    const c = await citizen()
    const hash = randomBytes(32)
    const created = await store.emailTokens.create({
      id: randomUUID(),
      citizenId: c.id,
      purpose: 'confirm',
      tokenHash: hash,
      expiresAt: at(HOUR),
    })
    expect(created.usedAt).toBeNull()
    expect(await store.emailTokens.consume(hash, 'reset', T0)).toBeNull()
    expect(await store.emailTokens.consume(hash, 'confirm', at(HOUR))).toBeNull()
    const used = await store.emailTokens.consume(Buffer.from(hash), 'confirm', at(1000))
    expect(used).toMatchObject({ id: created.id, citizenId: c.id, purpose: 'confirm', usedAt: at(1000) })
    expect(used?.tokenHash.equals(hash)).toBe(true)
    expect(await store.emailTokens.consume(hash, 'confirm', at(2000))).toBeNull()
  })

  it('lets exactly one of 10 parallel consumes of one email token win', async () => {
    const c = await citizen()
    const hash = randomBytes(32)
    const base = { citizenId: c.id, purpose: 'reset' as const, expiresAt: at(HOUR) }
    await store.emailTokens.create({ id: randomUUID(), tokenHash: hash, ...base })
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.emailTokens.consume(hash, 'reset', T0)),
    )
    expect(results.filter((r) => r !== null)).toHaveLength(1)
  })

  it('stores, touches, challenges and ends sessions', async () => {
    const c = await citizen()
    const s = await store.sessions.create(newSession(c.id))
    expect(s).toMatchObject({ mfaVerifiedAt: null, mfaMethod: null, challenge: null })
    expect(await store.sessions.get(Buffer.from(s.id))).toEqual(s)
    await store.sessions.touch(s.id, at(5000))
    await store.sessions.setChallenge(s.id, 'chal-123')
    expect(await store.sessions.get(s.id)).toMatchObject({ lastSeenAt: at(5000), challenge: 'chal-123' })
    expect(await store.sessions.consumeChallenge(s.id, 'chal-other')).toBe(false)
    const takes = await Promise.all(
      Array.from({ length: 5 }, () => store.sessions.consumeChallenge(s.id, 'chal-123')),
    )
    expect(takes.filter(Boolean)).toHaveLength(1)
    expect((await store.sessions.get(s.id))?.challenge).toBeNull()
    await store.sessions.setChallenge(s.id, null)
    await store.sessions.delete(s.id)
    expect(await store.sessions.get(s.id)).toBeNull()
    expect(await store.sessions.get(randomBytes(32))).toBeNull()
  })

  it('rotates a session to a new id with the patch applied, and the old id is gone', async () => {
    const c = await citizen()
    const s = await store.sessions.create(newSession(c.id))
    const newId = randomBytes(32)
    const ok = await store.sessions.rotate(s.id, newId, {
      mfaVerifiedAt: at(10),
      mfaMethod: 'totp',
      lastSeenAt: at(10),
    })
    expect(ok).toBe(true)
    expect(await store.sessions.get(s.id)).toBeNull()
    expect(await store.sessions.get(newId)).toEqual({
      ...s,
      id: newId,
      mfaVerifiedAt: at(10),
      mfaMethod: 'totp',
      lastSeenAt: at(10),
    })
    expect(await store.sessions.rotate(s.id, randomBytes(32), {})).toBe(false)
    expect(await store.sessions.rotate(newId, randomBytes(32), {})).toBe(true)
  })

  it("ends every session of a citizen except the one kept, and no one else's", async () => {
    const c = await citizen()
    const other = await citizen()
    const kept = await store.sessions.create(newSession(c.id))
    await store.sessions.create(newSession(c.id))
    await store.sessions.create(newSession(c.id))
    const foreign = await store.sessions.create(newSession(other.id))
    expect(await store.sessions.deleteForCitizen(c.id, kept.id)).toBe(2)
    expect(await store.sessions.get(kept.id)).not.toBeNull()
    expect(await store.sessions.get(foreign.id)).not.toBeNull()
    expect(await store.sessions.deleteForCitizen(c.id)).toBe(1)
    expect(await store.sessions.get(kept.id)).toBeNull()
  })

  it('confirms a TOTP factor on its first step and refuses the same or an older step', async () => {
    const c = await citizen()
    const secret = randomBytes(40)
    await store.totp.upsert(c.id, secret, T0)
    const f = await store.totp.get(c.id)
    expect(f).toMatchObject({ citizenId: c.id, confirmedAt: null, lastUsedStep: 0, createdAt: T0 })
    expect(f?.secretEnc.equals(secret)).toBe(true)
    expect(await store.totp.useStep(c.id, 1000, at(1))).toBe(true)
    expect(await store.totp.get(c.id)).toMatchObject({ confirmedAt: at(1), lastUsedStep: 1000 })
    expect(await store.totp.useStep(c.id, 1000, at(2))).toBe(false)
    expect(await store.totp.useStep(c.id, 999, at(2))).toBe(false)
    expect(await store.totp.useStep(c.id, 1001, at(3))).toBe(true)
    expect((await store.totp.get(c.id))?.confirmedAt).toEqual(at(1))
    expect(await store.totp.useStep(randomUUID(), 5, at(3))).toBe(false)

    // Re-enrolment replaces the secret and starts unconfirmed again.
    const next = randomBytes(40)
    await store.totp.upsert(c.id, next, at(4))
    expect(await store.totp.get(c.id)).toMatchObject({ confirmedAt: null, lastUsedStep: 0, createdAt: at(4) })
    await store.totp.delete(c.id)
    expect(await store.totp.get(c.id)).toBeNull()
  })

  it('accepts exactly one of 10 parallel uses of the same TOTP step', async () => {
    const c = await citizen()
    await store.totp.upsert(c.id, randomBytes(40), T0)
    const results = await Promise.all(Array.from({ length: 10 }, () => store.totp.useStep(c.id, 77, T0)))
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('uses each recovery code once, even when 10 requests race for it', async () => {
    const c = await citizen()
    const other = await citizen()
    const hashes = [randomBytes(32), randomBytes(32), randomBytes(32)]
    await store.recoveryCodes.replaceAll(c.id, hashes, T0)
    expect(await store.recoveryCodes.countUnused(c.id)).toBe(3)
    const [h0, h1] = hashes as [Buffer, Buffer, Buffer]
    expect(await store.recoveryCodes.consume(other.id, h0, T0)).toBe(false)
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.recoveryCodes.consume(c.id, Buffer.from(h0), at(1))),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await store.recoveryCodes.consume(c.id, h0, at(2))).toBe(false)
    expect(await store.recoveryCodes.consume(c.id, h1, at(2))).toBe(true)
    expect(await store.recoveryCodes.countUnused(c.id)).toBe(1)
    const listed = await store.recoveryCodes.list(c.id)
    expect(listed).toHaveLength(3)
    expect(listed.filter((r) => r.usedAt !== null)).toHaveLength(2)

    await store.recoveryCodes.replaceAll(c.id, [randomBytes(32)], at(3))
    expect(await store.recoveryCodes.countUnused(c.id)).toBe(1)
    expect(await store.recoveryCodes.list(c.id)).toHaveLength(1)
    expect(await store.recoveryCodes.consume(c.id, h1, at(4))).toBe(false)
  })

  it('stores passkeys, updates their counter and deletes them only for their owner', async () => {
    const c = await citizen()
    const other = await citizen()
    const pk = await store.passkeys.create({
      id: 'cred-AbC_1',
      citizenId: c.id,
      publicKey: randomBytes(77),
      counter: 3,
      transports: ['usb', 'nfc'],
    })
    expect(pk.lastUsedAt).toBeNull()
    expect(await store.passkeys.get(c.id, 'cred-AbC_1')).toEqual(pk)
    expect(await store.passkeys.get(other.id, 'cred-AbC_1')).toBeNull()
    expect(await store.passkeys.listForCitizen(c.id)).toEqual([pk])
    expect(await store.passkeys.listForCitizen(other.id)).toEqual([])
    expect(await store.passkeys.updateCounter(pk.id, pk.counter, 9, at(1))).toBe(true)
    expect(await store.passkeys.updateCounter(pk.id, pk.counter, 10, at(2))).toBe(false)
    expect(await store.passkeys.get(c.id, pk.id)).toMatchObject({ counter: 9, lastUsedAt: at(1) })
    expect(await store.passkeys.delete(other.id, pk.id)).toBe(false)
    expect(await store.passkeys.delete(c.id, pk.id)).toBe(true)
    expect(await store.passkeys.delete(c.id, pk.id)).toBe(false)
  })

  async function issueCode(officeId: string, customerNumber = '123D456789', createdAt = T0) {
    return store.activationCodes.create(
      {
        id: randomUUID(),
        officeId,
        customerNumber,
        codeHash: randomBytes(32),
        expiresAt: new Date(createdAt.getTime() + 14 * 24 * HOUR),
        createdByStaffId: null,
      },
      createdAt,
    )
  }

  it('issues an activation code that voids the earlier open code of that customer and office', async () => {
    const office = await store.offices.create(newOffice('HOME'))
    const other = await store.offices.create(newOffice('OTHER'))
    const first = await issueCode(office.id)
    const elsewhere = await issueCode(other.id, '123D456789', at(1))
    expect(first).toMatchObject({ failedAttempts: 0, voidedAt: null, usedAt: null, usedByCitizenId: null })
    expect(await store.activationCodes.findOpen(office.id, '123D456789')).toEqual(first)
    const second = await issueCode(office.id, '123D456789', at(2))
    expect(await store.activationCodes.findOpen(office.id, '123D456789')).toEqual(second)
    expect(await store.activationCodes.findOpen(other.id, '123D456789')).toEqual(elsewhere)
    expect(await store.activationCodes.markUsed(first.id, randomUUID(), at(3))).toBe(false)
    expect((await store.activationCodes.findOpenByCustomer('123D456789'))?.id).toBe(second.id)
    expect(await store.activationCodes.findOpen(office.id, 'nobody')).toBeNull()
    expect(await store.activationCodes.findOpenByCustomer('nobody')).toBeNull()
  })

  it('counts wrong activation attempts and voids the code at the limit, even under concurrency', async () => {
    const office = await store.offices.create(newOffice('HOME'))
    const code = await issueCode(office.id)
    expect(await store.activationCodes.recordFailure(code.id, 5, at(1))).toBe(1)
    const counts = await Promise.all(
      Array.from({ length: 6 }, () => store.activationCodes.recordFailure(code.id, 5, at(2))),
    )
    // Once void, further failures are not counted: the stored count stays at the limit.
    expect(counts.sort()).toEqual([2, 3, 4, 5, 5, 5])
    expect(await store.activationCodes.findOpen(office.id, '123D456789')).toBeNull()
    expect(await store.activationCodes.findOpenByCustomer('123D456789')).toBeNull()
    const c = await citizen()
    expect(await store.activationCodes.markUsed(code.id, c.id, at(3))).toBe(false)
  })

  it('marks an activation code used once, and never after it expired', async () => {
    const office = await store.offices.create(newOffice('HOME'))
    const c = await citizen()
    const code = await issueCode(office.id)
    const results = await Promise.all(
      Array.from({ length: 5 }, () => store.activationCodes.markUsed(code.id, c.id, at(1))),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await store.activationCodes.markUsed(code.id, c.id, at(2))).toBe(false)
    expect(await store.activationCodes.findOpen(office.id, '123D456789')).toBeNull()

    const later = await issueCode(office.id, '999X', at(3))
    expect(await store.activationCodes.markUsed(later.id, c.id, later.expiresAt)).toBe(false)
    expect(await store.activationCodes.findOpen(office.id, '999X')).toEqual(later)
  })

  it('counts rate-limit hits within a window that opens at the first hit and restarts after it', async () => {
    const win = 60_000
    const now = new Date(Math.floor(T0.getTime() / win) * win + 50_000)
    const resetAt = new Date(now.getTime() + win)
    expect(await store.rateLimits.hit('login:a', win, now)).toEqual({ count: 1, resetAt })
    // Across a minute boundary of the clock: still the same window.
    expect(await store.rateLimits.hit('login:a', win, new Date(now.getTime() + 40_000))).toEqual({
      count: 2,
      resetAt,
    })
    // A parallel request stamped just before the window's start still counts in it.
    expect(await store.rateLimits.hit('login:a', win, new Date(now.getTime() - 5))).toEqual({
      count: 3,
      resetAt,
    })
    expect((await store.rateLimits.hit('login:b', win, now)).count).toBe(1)
    const next = new Date(resetAt.getTime() + 1)
    expect(await store.rateLimits.hit('login:a', win, next)).toEqual({
      count: 1,
      resetAt: new Date(next.getTime() + win),
    })
    await store.rateLimits.reset('login:a')
    expect((await store.rateLimits.hit('login:a', win, next)).count).toBe(1)
  })

  it('counts 20 parallel rate-limit hits as 1 to 20', async () => {
    const hits = await Promise.all(
      Array.from({ length: 20 }, () => store.rateLimits.hit('mfa:c1', 60_000, T0)),
    )
    expect(hits.map((h) => h.count).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    )
  })

  it('rolls back an activation code issued inside a failed transaction', async () => {
    const office = await store.offices.create(newOffice('HOME'))
    const first = await issueCode(office.id)
    await expect(
      store.transaction(async (tx) => {
        await tx.activationCodes.create(
          {
            id: randomUUID(),
            officeId: office.id,
            customerNumber: '123D456789',
            codeHash: randomBytes(32),
            expiresAt: at(HOUR),
            createdByStaffId: null,
          },
          at(1),
        )
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await store.activationCodes.findOpen(office.id, '123D456789')).toEqual(first)
  })
}
