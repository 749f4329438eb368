import { and, asc, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { auditHash, checkAuditBatch, completeAuditInput, GENESIS_HASH } from '../audit-chain.ts'
import { ACTIVATED, citizenRow, defined } from '../rows.ts'
import type { Repos } from '../store.port.ts'
import type { ApiToken, AuditEntry, Citizen, Office, Staff } from '../store.types.ts'
import { sqliteAttachmentRepo } from './repos.attachments.ts'
import { sqliteCitizenKeyRepo } from './repos.citizen-keys.ts'
import { sqliteIdentityRepos } from './repos.identity.ts'
import { sqliteInboundRepo } from './repos.inbound.ts'
import { sqliteNoticeRepos } from './repos.notices.ts'
import { sqlitePostboxRepo } from './repos.postbox.ts'
import { sqliteRoutingRepos } from './repos.routing.ts'
import { sqliteUploadCheckRepo } from './repos.upload-checks.ts'
import * as s from './schema.ts'

export type SqliteDb = BetterSQLite3Database<typeof s>

/** Every repository method of the port, synchronous: SQLite work never yields. */
export type SyncRepos = { [R in keyof Repos]: { [M in keyof Repos[R]]: SyncFn<Repos[R][M]> } }
export type SyncFn<F> = F extends (...a: infer A) => Promise<infer T> ? (...a: A) => T : never

const one = <T>(rows: T[]): T | null => rows[0] ?? null

/** The value of make(), computed at the first call: statements can only be prepared once their tables exist. */
export function lazy<T>(make: () => T): () => T {
  let value: T | undefined
  return () => {
    value ??= make()
    return value
  }
}

export function sqliteRepos(db: SqliteDb): SyncRepos {
  // Read on every request and every upload check: built and prepared once (at first use, after migrate).
  const citizenById = lazy(() =>
    db
      .select()
      .from(s.citizens)
      .where(and(eq(s.citizens.id, sql.placeholder('id')), isNull(s.citizens.deletedAt)))
      .prepare(),
  )
  return {
    ...sqliteIdentityRepos(db),
    attachments: sqliteAttachmentRepo(db),
    postbox: sqlitePostboxRepo(db),
    inbound: sqliteInboundRepo(db),
    ...sqliteNoticeRepos(db),
    uploadChecks: sqliteUploadCheckRepo(db),
    ...sqliteRoutingRepos(db),
    offices: {
      create(o) {
        const row = { ...o, routingVersion: o.routingVersion ?? 1, createdAt: new Date() }
        db.insert(s.offices).values(row).run()
        return row as Office
      },
      get: (id) => one(db.select().from(s.offices).where(eq(s.offices.id, id)).all()) as Office | null,
      getByCode: (code) =>
        one(db.select().from(s.offices).where(eq(s.offices.code, code)).all()) as Office | null,
      list: () => db.select().from(s.offices).orderBy(asc(s.offices.code)).all() as Office[],
    },
    staff: {
      create(st) {
        const row = { ...st, createdAt: new Date(), disabledAt: null }
        db.insert(s.staff).values(row).run()
        return row
      },
      get: (officeId, id) =>
        one(
          db
            .select()
            .from(s.staff)
            .where(and(eq(s.staff.officeId, officeId), eq(s.staff.id, id)))
            .all(),
        ) as Staff | null,
      list: (officeId) =>
        db
          .select()
          .from(s.staff)
          .where(eq(s.staff.officeId, officeId))
          .orderBy(asc(s.staff.label), asc(s.staff.id))
          .all() as Staff[],
    },
    apiTokens: {
      create(t) {
        const row = { ...t, createdAt: new Date(), lastUsedAt: null, revokedAt: null }
        db.insert(s.apiTokens).values(row).run()
        return row
      },
      findActiveByHash: (hash) =>
        one(
          db
            .select()
            .from(s.apiTokens)
            .where(and(eq(s.apiTokens.tokenHash, hash), isNull(s.apiTokens.revokedAt)))
            .all(),
        ) as ApiToken | null,
      touch(id, at) {
        db.update(s.apiTokens).set({ lastUsedAt: at }).where(eq(s.apiTokens.id, id)).run()
      },
      revoke(officeId, id, at) {
        const r = db
          .update(s.apiTokens)
          .set({ revokedAt: at })
          .where(
            and(eq(s.apiTokens.id, id), eq(s.apiTokens.officeId, officeId), isNull(s.apiTokens.revokedAt)),
          )
          .run()
        return r.changes > 0
      },
      list: (officeId) =>
        db
          .select()
          .from(s.apiTokens)
          .where(eq(s.apiTokens.officeId, officeId))
          .orderBy(asc(s.apiTokens.createdAt), asc(s.apiTokens.id))
          .all() as ApiToken[],
    },
    citizens: {
      ...sqliteCitizenKeyRepo(db),
      create(c) {
        const row = citizenRow(c)
        db.insert(s.citizens).values(row).run()
        return row
      },
      get: (id) => one(citizenById().all({ id })) as Citizen | null,
      findByEmailLookup: (mac) =>
        one(
          db
            .select()
            .from(s.citizens)
            .where(and(eq(s.citizens.emailLookup, mac), isNull(s.citizens.deletedAt)))
            .all(),
        ) as Citizen | null,
      findByCustomerNumber: (officeId, customerNumber) =>
        one(
          db
            .select()
            .from(s.citizens)
            .where(
              and(
                eq(s.citizens.officeId, officeId),
                eq(s.citizens.customerNumber, customerNumber),
                inArray(s.citizens.securityLevel, ACTIVATED),
                isNull(s.citizens.deletedAt),
              ),
            )
            .all(),
        ) as Citizen | null,
      update(id, patch) {
        const where = and(eq(s.citizens.id, id), isNull(s.citizens.deletedAt))
        const set = defined(patch)
        if (Object.keys(set).length === 0) {
          return db.select({ id: s.citizens.id }).from(s.citizens).where(where).all().length > 0
        }
        return db.update(s.citizens).set(set).where(where).run().changes > 0
      },
      delete: (id) => db.delete(s.citizens).where(eq(s.citizens.id, id)).run().changes > 0,
    },
    audit: {
      append(input) {
        const full = completeAuditInput(input)
        const last = one(db.select().from(s.auditLog).orderBy(desc(s.auditLog.seq)).limit(1).all())
        const seq = (last?.seq ?? 0) + 1
        const prevHash = last?.hash ?? GENESIS_HASH
        const at = new Date()
        const hash = auditHash(prevHash, seq, at, full)
        const row = { ...full, seq, at, prevHash, hash }
        db.insert(s.auditLog).values(row).run()
        return row as AuditEntry
      },
      list: (afterSeq = 0, limit = 100) =>
        db
          .select()
          .from(s.auditLog)
          .where(gt(s.auditLog.seq, afterSeq))
          .orderBy(asc(s.auditLog.seq))
          .limit(limit)
          .all() as AuditEntry[],
      verify() {
        let prev: Buffer = GENESIS_HASH
        let after = 0
        let entries = 0
        for (;;) {
          const batch = db
            .select()
            .from(s.auditLog)
            .where(gt(s.auditLog.seq, after))
            .orderBy(asc(s.auditLog.seq))
            .limit(1000)
            .all() as AuditEntry[]
          if (batch.length === 0) return { ok: true, entries }
          const r = checkAuditBatch(prev, batch)
          if ('brokenAt' in r) return { ok: false, entries, brokenAt: r.brokenAt, reason: r.reason }
          prev = r.last
          entries += batch.length
          after = batch[batch.length - 1]?.seq ?? after
        }
      },
    },
  }
}
