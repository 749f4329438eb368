import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm'
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres'
import type { PgDatabase } from 'drizzle-orm/pg-core'
import { auditHash, checkAuditBatch, completeAuditInput, GENESIS_HASH } from '../audit-chain.ts'
import { ACTIVATED, citizenRow, defined } from '../rows.ts'
import type { Repos } from '../store.port.ts'
import type { AuditVerification } from '../store.types.ts'
import { toApiToken, toAuditEntry, toCitizen, toOffice, toStaff } from './mappers.ts'
import { insertStatement, statement } from './prepared.ts'
import { pgAttachmentRepo } from './repos.attachments.ts'
import { pgCitizenKeyRepo } from './repos.citizen-keys.ts'
import { pgIdentityRepos } from './repos.identity.ts'
import { pgInboundRepo } from './repos.inbound.ts'
import { pgNoticeRepos } from './repos.notices.ts'
import { pgPostboxRepo } from './repos.postbox.ts'
import { pgRoutingRepos } from './repos.routing.ts'
import { pgUploadCheckRepo } from './repos.upload-checks.ts'
import * as s from './schema.ts'

/** The pool-backed database or one of its transactions: both run the same queries. */
export type PgDb = PgDatabase<NodePgQueryResultHKT, typeof s>

/** Runs fn inside a transaction: a new one for the pool, the current one inside `Store.transaction`. */
export type InTransaction = <T>(fn: (db: PgDb) => Promise<T>) => Promise<T>

// Every audit writer, in every process, takes this transaction-scoped lock before reading the chain head.
export const AUDIT_LOCK_KEY = 0x706b_6175 // 'pkau'
const VERIFY_BATCH = 1000

const first = <T>(rows: T[]): T | null => rows[0] ?? null

const citizenById = statement((db) =>
  db
    .select()
    .from(s.citizens)
    .where(and(eq(s.citizens.id, sql.placeholder('id')), isNull(s.citizens.deletedAt)))
    .prepare('pk_citizen_by_id'),
)

// Every routed message and most staff actions append one entry (see prepared.ts).
const auditRow = insertStatement<(typeof s.auditLog.$inferSelect)[]>('pk_insert_audit', (db, v) =>
  db
    .insert(s.auditLog)
    .values(v as never)
    .returning(),
)

export function pgRepos(db: PgDb, inTransaction: InTransaction): Repos {
  return {
    ...pgIdentityRepos(db, inTransaction),
    attachments: pgAttachmentRepo(db, inTransaction),
    postbox: pgPostboxRepo(db, inTransaction),
    inbound: pgInboundRepo(db),
    ...pgNoticeRepos(db),
    uploadChecks: pgUploadCheckRepo(db),
    ...pgRoutingRepos(db),
    offices: {
      async create(o) {
        const row = { ...o, routingVersion: o.routingVersion ?? 1, createdAt: new Date() }
        const [saved] = await db.insert(s.offices).values(row).returning()
        return toOffice(must(saved))
      },
      get: async (id) => mapFirst(await db.select().from(s.offices).where(eq(s.offices.id, id)), toOffice),
      getByCode: async (code) =>
        mapFirst(await db.select().from(s.offices).where(eq(s.offices.code, code)), toOffice),
      list: async () => (await db.select().from(s.offices).orderBy(asc(s.offices.code))).map(toOffice),
    },
    staff: {
      async create(st) {
        const [saved] = await db
          .insert(s.staff)
          .values({ ...st, createdAt: new Date(), disabledAt: null })
          .returning()
        return toStaff(must(saved))
      },
      get: async (officeId, id) =>
        mapFirst(
          await db
            .select()
            .from(s.staff)
            .where(and(eq(s.staff.officeId, officeId), eq(s.staff.id, id))),
          toStaff,
        ),
      list: async (officeId) =>
        (
          await db
            .select()
            .from(s.staff)
            .where(eq(s.staff.officeId, officeId))
            .orderBy(asc(s.staff.label), asc(s.staff.id))
        ).map(toStaff),
    },
    apiTokens: {
      async create(t) {
        const [saved] = await db
          .insert(s.apiTokens)
          .values({ ...t, createdAt: new Date(), lastUsedAt: null, revokedAt: null })
          .returning()
        return toApiToken(must(saved))
      },
      findActiveByHash: async (hash) =>
        mapFirst(
          await db
            .select()
            .from(s.apiTokens)
            .where(and(eq(s.apiTokens.tokenHash, hash), isNull(s.apiTokens.revokedAt))),
          toApiToken,
        ),
      async touch(id, at) {
        await db.update(s.apiTokens).set({ lastUsedAt: at }).where(eq(s.apiTokens.id, id))
      },
      async revoke(officeId, id, at) {
        const revoked = await db
          .update(s.apiTokens)
          .set({ revokedAt: at })
          .where(
            and(eq(s.apiTokens.id, id), eq(s.apiTokens.officeId, officeId), isNull(s.apiTokens.revokedAt)),
          )
          .returning({ id: s.apiTokens.id })
        return revoked.length > 0
      },
      list: async (officeId) =>
        (
          await db
            .select()
            .from(s.apiTokens)
            .where(eq(s.apiTokens.officeId, officeId))
            .orderBy(asc(s.apiTokens.createdAt), asc(s.apiTokens.id))
        ).map(toApiToken),
    },
    citizens: {
      ...pgCitizenKeyRepo(db),
      async create(c) {
        const [saved] = await db.insert(s.citizens).values(citizenRow(c)).returning()
        return toCitizen(must(saved))
      },
      get: async (id) => mapFirst(await citizenById(db).execute({ id }), toCitizen),
      findByEmailLookup: async (mac) =>
        mapFirst(
          await db
            .select()
            .from(s.citizens)
            .where(and(eq(s.citizens.emailLookup, mac), isNull(s.citizens.deletedAt))),
          toCitizen,
        ),
      findByCustomerNumber: async (officeId, customerNumber) =>
        mapFirst(
          await db
            .select()
            .from(s.citizens)
            .where(
              and(
                eq(s.citizens.officeId, officeId),
                eq(s.citizens.customerNumber, customerNumber),
                inArray(s.citizens.securityLevel, ACTIVATED),
                isNull(s.citizens.deletedAt),
              ),
            ),
          toCitizen,
        ),
      async update(id, patch) {
        const where = and(eq(s.citizens.id, id), isNull(s.citizens.deletedAt))
        const set = defined(patch)
        if (Object.keys(set).length === 0) {
          return (await db.select({ id: s.citizens.id }).from(s.citizens).where(where)).length > 0
        }
        return (await db.update(s.citizens).set(set).where(where).returning({ id: s.citizens.id })).length > 0
      },
      async delete(id) {
        const rows = await db.delete(s.citizens).where(eq(s.citizens.id, id)).returning({ id: s.citizens.id })
        return rows.length > 0
      },
    },
    audit: {
      append: (input) =>
        inTransaction(async (tx) => {
          const full = completeAuditInput(input)
          const last = await lockedChainHead(tx)
          const seq = (last?.seq ?? 0) + 1
          const prevHash = last?.hash ?? GENESIS_HASH
          const at = new Date()
          const hash = auditHash(prevHash, seq, at, full)
          const [saved] = await auditRow(tx, { ...full, seq, at, prevHash, hash })
          return toAuditEntry(must(saved))
        }),
      list: async (afterSeq = 0, limit = 100) =>
        (
          await db
            .select()
            .from(s.auditLog)
            .where(gt(s.auditLog.seq, afterSeq))
            .orderBy(asc(s.auditLog.seq))
            .limit(limit)
        ).map(toAuditEntry),
      verify: () => verifyAudit(db),
    },
  }
}

// Lock and chain-head read in one round trip: a multi-statement simple query (no parameters) runs each
// statement with a fresh snapshot under READ COMMITTED, so the head is read after the lock is granted,
// exactly as with two separate queries (one statement doing both would read a snapshot from before the wait).
const LOCKED_HEAD = sql.raw(
  `select pg_advisory_xact_lock(${AUDIT_LOCK_KEY}); select seq, hash from audit_log order by seq desc limit 1`,
)

async function lockedChainHead(tx: PgDb): Promise<{ seq: number; hash: Buffer } | null> {
  const results = (await tx.execute(LOCKED_HEAD)) as unknown as { rows: { seq: string; hash: Buffer }[] }[]
  if (!Array.isArray(results) || results.length !== 2) throw new Error('audit chain head: unexpected result')
  const row = results[1]?.rows[0]
  return row ? { seq: Number(row.seq), hash: row.hash } : null
}

async function verifyAudit(db: PgDb): Promise<AuditVerification> {
  let prev: Buffer = GENESIS_HASH
  let after = 0
  let entries = 0
  for (;;) {
    const batch = (
      await db
        .select()
        .from(s.auditLog)
        .where(gt(s.auditLog.seq, after))
        .orderBy(asc(s.auditLog.seq))
        .limit(VERIFY_BATCH)
    ).map(toAuditEntry)
    if (batch.length === 0) return { ok: true, entries }
    const r = checkAuditBatch(prev, batch)
    if ('brokenAt' in r) return { ok: false, entries, brokenAt: r.brokenAt, reason: r.reason }
    prev = r.last
    entries += batch.length
    after = batch[batch.length - 1]?.seq ?? after
  }
}

function mapFirst<R, T>(rows: R[], map: (r: R) => T): T | null {
  const row = first(rows)
  return row === null ? null : map(row)
}

function must<T>(row: T | undefined): T {
  if (row === undefined) throw new Error('insert returned no row')
  return row
}
