import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { type SQL, sql } from 'drizzle-orm'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { parseConfig } from '../../src/config.ts'
import { type AnyStore, createStore } from '../../src/store/create-store.ts'
import type { Tx } from '../../src/store/store.port.ts'
import type { NewCitizen, NewOffice } from '../../src/store/store.types.ts'
import { type BackendKind, makeTestDatabase, type TestDatabase } from '../helpers/backends.ts'

export const openStore = (url: string) => createStore(parseConfig({ DATABASE_URL: url }).db)

/** Raw SQL outside the port: how the suite tampers with rows and counts them behind the adapter's back. */
export async function rawRows(store: AnyStore, query: SQL): Promise<Record<string, unknown>[]> {
  if (store.dialect === 'sqlite') return store.exec((db) => db.all<Record<string, unknown>>(query))
  return (await store.db.execute(query)).rows
}

async function rawRun(store: AnyStore, query: SQL): Promise<void> {
  if (store.dialect === 'sqlite') await store.exec((db) => db.run(query))
  else await store.db.execute(query)
}

/** Raw SQL through a transaction's driver handle: the path the queue adapters use to join a transaction. */
async function rawInTx(store: AnyStore, tx: Tx, query: SQL): Promise<void> {
  if (store.dialect === 'sqlite') store.txDb(tx).run(query)
  else await store.txDb(tx).execute(query)
}

export const countRows = async (store: AnyStore, table: string) =>
  Number((await rawRows(store, sql`select count(*) as n from ${sql.identifier(table)}`))[0]?.n)

export const newOffice = (code: string): NewOffice => ({
  id: randomUUID(),
  code,
  name: `Jobcenter ${code}`,
  efileEndpoint: null,
  inboxAddress: 'postfach@jobcenter.example',
  allowedSenders: ['efile.jobcenter.example'],
  routingRules: [
    {
      id: 'r1',
      name: 'default',
      match: { categories: ['general'] },
      destinations: [{ kind: 'efile' }],
      isDefault: true,
    },
  ],
})

export const newCitizen = (officeId: string | null, emailLookup: Buffer = randomBytes(32)): NewCitizen => ({
  id: randomUUID(),
  officeId,
  customerNumber: '123D456789',
  emailLookup,
  emailEnc: randomBytes(48),
  passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
  securityLevel: 'registered',
  onlineComm: true,
  notifyEmail: false,
  language: 'de',
  dekWrapped: randomBytes(60),
  dekKeyId: 'k1',
})

/** The behaviour every store adapter must show; run once per backend by describeBackends. */
export function runStoreContract(kind: BackendKind) {
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

  it('creates an office and reads it back by id, by code and in the code-ordered list', async () => {
    const b = await store.offices.create(newOffice('B-01'))
    const a = await store.offices.create(newOffice('A-01'))
    expect(b.routingVersion).toBe(1)
    const got = await store.offices.get(b.id)
    expect(got).toEqual(b)
    expect(got?.routingRules[0]?.destinations).toEqual([{ kind: 'efile' }])
    expect(got?.createdAt).toBeInstanceOf(Date)
    expect(await store.offices.getByCode('A-01')).toEqual(a)
    expect(await store.offices.get(randomUUID())).toBeNull()
    expect(await store.offices.getByCode('nope')).toBeNull()
    expect((await store.offices.list()).map((o) => o.code)).toEqual(['A-01', 'B-01'])
  })

  it('refuses a second office with the same code and keeps only the first', async () => {
    await store.offices.create(newOffice('DUP'))
    await expect(store.offices.create(newOffice('DUP'))).rejects.toThrow()
    expect(await countRows(store, 'offices')).toBe(1)
  })

  it('finds a staff member only through their own office', async () => {
    const home = await store.offices.create(newOffice('HOME'))
    const other = await store.offices.create(newOffice('OTHER'))
    const member = await store.staff.create({
      id: randomUUID(),
      officeId: home.id,
      role: 'caseworker',
      label: 'SB 1',
    })
    expect(member.disabledAt).toBeNull()
    expect(await store.staff.get(home.id, member.id)).toEqual(member)
    expect(await store.staff.get(other.id, member.id)).toBeNull()
  })

  it('finds an api token by hash until it is revoked, and only its own office can revoke it', async () => {
    const home = await store.offices.create(newOffice('HOME'))
    const other = await store.offices.create(newOffice('OTHER'))
    const member = await store.staff.create({
      id: randomUUID(),
      officeId: home.id,
      role: 'integration',
      label: 'E-Akte',
    })
    const hash = randomBytes(32)
    const token = await store.apiTokens.create({
      id: randomUUID(),
      staffId: member.id,
      officeId: home.id,
      role: 'integration',
      prefix: 'pk_live_ab',
      tokenHash: hash,
    })
    const found = await store.apiTokens.findActiveByHash(Buffer.from(hash))
    expect(found?.id).toBe(token.id)
    expect(found?.tokenHash.equals(hash)).toBe(true)
    expect(await store.apiTokens.findActiveByHash(randomBytes(32))).toBeNull()

    const usedAt = new Date('2030-01-02T03:04:05.678Z')
    await store.apiTokens.touch(token.id, usedAt)
    expect((await store.apiTokens.findActiveByHash(hash))?.lastUsedAt).toEqual(usedAt)

    expect(await store.apiTokens.revoke(other.id, token.id, new Date())).toBe(false)
    expect(await store.apiTokens.findActiveByHash(hash)).not.toBeNull()
    expect(await store.apiTokens.revoke(home.id, token.id, new Date())).toBe(true)
    expect(await store.apiTokens.findActiveByHash(hash)).toBeNull()
    expect(await store.apiTokens.revoke(home.id, token.id, new Date())).toBe(false)
  })

  it('finds a citizen by id and by email lookup, and refuses a second citizen with the same lookup', async () => {
    const office = await store.offices.create(newOffice('HOME'))
    const input = newCitizen(office.id)
    const created = await store.citizens.create(input)
    const byId = await store.citizens.get(input.id)
    expect(byId).toEqual(created)
    expect(byId?.emailEnc.equals(input.emailEnc)).toBe(true)
    expect(byId?.dekWrapped.equals(input.dekWrapped)).toBe(true)
    expect(byId?.onlineComm).toBe(true)
    expect(byId?.notifyEmail).toBe(false)
    expect(byId?.emailConfirmedAt).toBeNull()
    expect((await store.citizens.findByEmailLookup(Buffer.from(input.emailLookup)))?.id).toBe(input.id)
    expect(await store.citizens.findByEmailLookup(randomBytes(32))).toBeNull()
    expect(await store.citizens.get(randomUUID())).toBeNull()

    await expect(store.citizens.create(newCitizen(null, input.emailLookup))).rejects.toThrow()
    expect(await countRows(store, 'citizens')).toBe(1)
  })

  it('makes everything written in a committed transaction visible, and returns its result', async () => {
    const result = await store.transaction(async (tx) => {
      const office = await tx.offices.create(newOffice('TX'))
      await tx.staff.create({ id: randomUUID(), officeId: office.id, role: 'office_admin', label: 'Admin' })
      await tx.audit.append({
        actorKind: 'system',
        actorId: null,
        action: 'office.created',
        officeId: office.id,
      })
      return office.id
    })
    expect((await store.offices.get(result))?.code).toBe('TX')
    expect(await countRows(store, 'staff')).toBe(1)
    expect(await store.audit.verify()).toEqual({ ok: true, entries: 1 })
  })

  it('rolls back what was written before and after an await when the transaction throws', async () => {
    const office = newOffice('ROLLBACK')
    const failure = store.transaction(async (tx) => {
      await tx.offices.create(office)
      await sleep(20)
      await tx.staff.create({ id: randomUUID(), officeId: office.id, role: 'caseworker', label: 'SB' })
      await tx.audit.append({ actorKind: 'system', actorId: null, action: 'office.created' })
      await rawInTx(
        store,
        tx,
        sql`insert into offices (id, code, name, allowed_senders, routing_rules, routing_version, created_at)
        values (${randomUUID()}, 'RAW', 'raw', '[]', '[]', 1, ${kind === 'pg' ? new Date().toISOString() : Date.now()})`,
      )
      await sleep(20)
      throw new Error('boom after awaits')
    })
    await expect(failure).rejects.toThrow('boom after awaits')
    expect(await store.offices.get(office.id)).toBeNull()
    expect(await countRows(store, 'offices')).toBe(0)
    expect(await countRows(store, 'staff')).toBe(0)
    expect(await countRows(store, 'audit_log')).toBe(0)
    // The store is still usable, and the audit chain did not keep a hole from the rolled-back entry.
    expect((await store.audit.append({ actorKind: 'system', actorId: null, action: 'after' })).seq).toBe(1)
  })

  it('undoes only what a savepoint wrote when it throws, even after a failed statement, and commits the rest', async () => {
    const kept = newOffice('KEPT')
    const undone = newOffice('UNDONE')
    await store.transaction(async (tx) => {
      await tx.offices.create(kept)
      const inner = tx.savepoint(async (sp) => {
        await sp.offices.create(undone)
        // A failed statement aborts a PostgreSQL transaction unless it is rolled back to the savepoint.
        await sp.offices.create(newOffice('KEPT'))
      })
      await expect(inner).rejects.toThrow()
      expect(await tx.savepoint(async (sp) => (await sp.offices.get(kept.id))?.code)).toBe('KEPT')
      await tx.audit.append({
        actorKind: 'system',
        actorId: null,
        action: 'office.created',
        officeId: kept.id,
      })
    })
    expect((await store.offices.get(kept.id))?.code).toBe('KEPT')
    expect(await store.offices.get(undone.id)).toBeNull()
    expect(await store.audit.verify()).toEqual({ ok: true, entries: 1 })
  })

  it('commits each of 20 concurrent transactions all-or-nothing when half of them throw', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store.transaction(async (tx) => {
          const office = await tx.offices.create(newOffice(`C-${String(i).padStart(2, '0')}`))
          await sleep(Math.random() * 10)
          await tx.staff.create({
            id: randomUUID(),
            officeId: office.id,
            role: 'caseworker',
            label: `SB ${i}`,
          })
          await tx.citizens.create(newCitizen(office.id))
          if (i % 2 === 1) throw new Error(`transaction ${i} fails`)
          return i
        }),
      ),
    )
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10)
    const codes = (await store.offices.list()).map((o) => o.code)
    expect(codes).toEqual(Array.from({ length: 10 }, (_, k) => `C-${String(k * 2).padStart(2, '0')}`))
    expect(await countRows(store, 'staff')).toBe(10)
    expect(await countRows(store, 'citizens')).toBe(10)
  })

  it('gives 50 concurrent audit appends the sequence numbers 1 to 50 in one valid chain', async () => {
    const entries = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 5 === 0
          ? store.transaction((tx) =>
              tx.audit.append({ actorKind: 'staff', actorId: `s${i}`, action: 'read', details: { i } }),
            )
          : store.audit.append({
              actorKind: 'citizen',
              actorId: `c${i}`,
              action: 'opt_in.changed',
              details: { i, on: true },
            }),
      ),
    )
    expect(entries.map((e) => e.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    )
    expect(await store.audit.verify()).toEqual({ ok: true, entries: 50 })
    const listed = await store.audit.list(10, 5)
    expect(listed.map((e) => e.seq)).toEqual([11, 12, 13, 14, 15])
    expect(listed[0]?.prevHash.equals((await store.audit.list(9, 1))[0]?.hash ?? Buffer.alloc(0))).toBe(true)
  })

  it('reports exactly the audit entry whose details were changed directly in SQL', async () => {
    for (let i = 1; i <= 30; i++) {
      await store.audit.append({
        actorKind: 'system',
        actorId: null,
        action: 'tick',
        subjectKind: 'n',
        subjectId: `${i}`,
        details: { i },
      })
    }
    expect(await store.audit.verify()).toEqual({ ok: true, entries: 30 })
    await rawRun(store, sql`update audit_log set details = ${'{"i":999}'} where seq = ${17}`)
    const result = await store.audit.verify()
    expect(result.ok).toBe(false)
    expect(result.ok === false && result.brokenAt).toBe(17)
    expect(result.ok === false && result.reason).toMatch(/hash/)
  })

  it('reports the entry after a row deleted directly in SQL', async () => {
    for (let i = 1; i <= 5; i++)
      await store.audit.append({ actorKind: 'system', actorId: null, action: 'tick' })
    await rawRun(store, sql`delete from audit_log where seq = ${3}`)
    const result = await store.audit.verify()
    expect(result.ok === false && result.brokenAt).toBe(4)
  })

  it('treats a second migrate as a no-op that keeps the data', async () => {
    const office = await store.offices.create(newOffice('KEEP'))
    const before = await rawRows(store, migrationsTable(kind))
    await store.migrate()
    expect(await rawRows(store, migrationsTable(kind))).toEqual(before)
    expect(before.length).toBeGreaterThan(0)
    expect(await store.offices.get(office.id)).toEqual(office)
  })

  it('lets two stores migrate the same fresh database at the same time', async () => {
    const fresh = await makeTestDatabase(kind)
    const a = openStore(fresh.url)
    const b = openStore(fresh.url)
    try {
      await Promise.all([a.migrate(), b.migrate()])
      const office = await a.offices.create(newOffice('BOTH'))
      expect(await b.offices.get(office.id)).toEqual(office)
    } finally {
      await a.close()
      await b.close()
      await fresh.cleanup()
    }
  })

  it('answers ping while open', async () => {
    await expect(store.ping()).resolves.toBeUndefined()
  })
}

function migrationsTable(kind: BackendKind): SQL {
  return kind === 'pg'
    ? sql`select id, hash, created_at from drizzle.__drizzle_migrations order by id`
    : sql`select id, hash, created_at from __drizzle_migrations order by id`
}
