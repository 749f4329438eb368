import { randomUUID } from 'node:crypto'
import { and, asc, desc, eq, gt, inArray, isNull, ne, type SQL, sql } from 'drizzle-orm'
import type { IdentityRepos } from '../identity.port.ts'
import type { ActivationCode } from '../identity.types.ts'
import { defined } from '../rows.ts'
import {
  toActivationCode,
  toEmailToken,
  toPasskey,
  toRecoveryCode,
  toSession,
  toTotpFactor,
} from './mappers.identity.ts'
import { statement } from './prepared.ts'
import type { InTransaction, PgDb } from './repos.ts'
import * as si from './schema.identity.ts'
import * as s from './schema.ts'

// Serialises activation-code issuing per office and customer (first key of the two-key advisory lock).
const ACTIVATION_LOCK_NS = 0x706b_6163 // 'pkac'

const openCode = and(isNull(si.activationCodes.usedAt), isNull(si.activationCodes.voidedAt))
const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`

const sessionById = statement((db) =>
  db
    .select()
    .from(s.sessions)
    .where(eq(s.sessions.id, sql.placeholder('id')))
    .prepare('pk_session_by_id'),
)

/**
 * The identity repositories on PostgreSQL: the same single conditional statements as on SQLite,
 * which stay race-free under READ COMMITTED because PostgreSQL re-checks the WHERE on the locked row.
 */
export function pgIdentityRepos(db: PgDb, inTransaction: InTransaction): IdentityRepos {
  return {
    emailTokens: {
      async create(t) {
        const [saved] = await db
          .insert(si.emailTokens)
          .values({ ...t, usedAt: null, createdAt: new Date() })
          .returning()
        return toEmailToken(must(saved))
      },
      async consume(tokenHash, purpose, now) {
        const rows = await db
          .update(si.emailTokens)
          .set({ usedAt: now })
          .where(
            and(
              eq(si.emailTokens.tokenHash, tokenHash),
              eq(si.emailTokens.purpose, purpose),
              isNull(si.emailTokens.usedAt),
              gt(si.emailTokens.expiresAt, now),
            ),
          )
          .returning()
        return rows[0] ? toEmailToken(rows[0]) : null
      },
    },
    sessions: {
      async create(n) {
        const [saved] = await db
          .insert(s.sessions)
          .values({ mfaVerifiedAt: null, mfaMethod: null, ...n, challenge: null })
          .returning()
        return toSession(must(saved))
      },
      async get(id) {
        const [row] = await sessionById(db).execute({ id })
        return row ? toSession(row) : null
      },
      async touch(id, at) {
        await db.update(s.sessions).set({ lastSeenAt: at }).where(eq(s.sessions.id, id))
      },
      async rotate(oldId, newId, patch) {
        const rows = await db
          .update(s.sessions)
          .set({ ...defined(patch), id: newId })
          .where(eq(s.sessions.id, oldId))
          .returning({ id: s.sessions.id })
        return rows.length > 0
      },
      async setChallenge(id, challenge) {
        await db.update(s.sessions).set({ challenge }).where(eq(s.sessions.id, id))
      },
      async consumeChallenge(id, challenge) {
        const rows = await db
          .update(s.sessions)
          .set({ challenge: null })
          .where(and(eq(s.sessions.id, id), eq(s.sessions.challenge, challenge)))
          .returning({ id: s.sessions.id })
        return rows.length > 0
      },
      async delete(id) {
        await db.delete(s.sessions).where(eq(s.sessions.id, id))
      },
      async deleteForCitizen(citizenId, exceptId) {
        const rows = await db
          .delete(s.sessions)
          .where(and(eq(s.sessions.citizenId, citizenId), exceptId ? ne(s.sessions.id, exceptId) : undefined))
          .returning({ id: s.sessions.id })
        return rows.length
      },
    },
    totp: {
      async upsert(citizenId, secretEnc, at) {
        const fresh = { secretEnc, confirmedAt: null, lastUsedStep: 0, createdAt: at }
        await db
          .insert(si.totpFactors)
          .values({ citizenId, ...fresh })
          .onConflictDoUpdate({ target: si.totpFactors.citizenId, set: fresh })
      },
      async get(citizenId) {
        const [row] = await db.select().from(si.totpFactors).where(eq(si.totpFactors.citizenId, citizenId))
        return row ? toTotpFactor(row) : null
      },
      async useStep(citizenId, step, at) {
        const rows = await db
          .update(si.totpFactors)
          .set({ lastUsedStep: step, confirmedAt: sql`coalesce(${si.totpFactors.confirmedAt}, ${ts(at)})` })
          .where(and(eq(si.totpFactors.citizenId, citizenId), sql`${si.totpFactors.lastUsedStep} < ${step}`))
          .returning({ id: si.totpFactors.citizenId })
        return rows.length > 0
      },
      async delete(citizenId) {
        await db.delete(si.totpFactors).where(eq(si.totpFactors.citizenId, citizenId))
      },
    },
    recoveryCodes: {
      replaceAll: (citizenId, codeHashes, at) =>
        inTransaction(async (tx) => {
          await tx.delete(si.recoveryCodes).where(eq(si.recoveryCodes.citizenId, citizenId))
          if (codeHashes.length === 0) return
          await tx.insert(si.recoveryCodes).values(
            codeHashes.map((codeHash) => ({
              id: randomUUID(),
              citizenId,
              codeHash,
              usedAt: null,
              createdAt: at,
            })),
          )
        }),
      async consume(citizenId, codeHash, at) {
        const match = db
          .select({ id: si.recoveryCodes.id })
          .from(si.recoveryCodes)
          .where(
            and(
              eq(si.recoveryCodes.citizenId, citizenId),
              eq(si.recoveryCodes.codeHash, codeHash),
              isNull(si.recoveryCodes.usedAt),
            ),
          )
          .limit(1)
        const rows = await db
          .update(si.recoveryCodes)
          .set({ usedAt: at })
          .where(and(inArray(si.recoveryCodes.id, match), isNull(si.recoveryCodes.usedAt)))
          .returning({ id: si.recoveryCodes.id })
        return rows.length > 0
      },
      async countUnused(citizenId) {
        const [row] = await db
          .select({ n: sql<number>`count(*)::int` })
          .from(si.recoveryCodes)
          .where(and(eq(si.recoveryCodes.citizenId, citizenId), isNull(si.recoveryCodes.usedAt)))
        return row?.n ?? 0
      },
      list: async (citizenId) =>
        (
          await db
            .select()
            .from(si.recoveryCodes)
            .where(eq(si.recoveryCodes.citizenId, citizenId))
            .orderBy(asc(si.recoveryCodes.createdAt), asc(si.recoveryCodes.id))
        ).map(toRecoveryCode),
    },
    passkeys: {
      async create(p) {
        const [saved] = await db
          .insert(si.passkeys)
          .values({ ...p, createdAt: new Date(), lastUsedAt: null })
          .returning()
        return toPasskey(must(saved))
      },
      listForCitizen: async (citizenId) =>
        (
          await db
            .select()
            .from(si.passkeys)
            .where(eq(si.passkeys.citizenId, citizenId))
            .orderBy(asc(si.passkeys.createdAt), asc(si.passkeys.id))
        ).map(toPasskey),
      async get(citizenId, id) {
        const [row] = await db
          .select()
          .from(si.passkeys)
          .where(and(eq(si.passkeys.citizenId, citizenId), eq(si.passkeys.id, id)))
        return row ? toPasskey(row) : null
      },
      async updateCounter(id, expected, counter, at) {
        const rows = await db
          .update(si.passkeys)
          .set({ counter, lastUsedAt: at })
          .where(and(eq(si.passkeys.id, id), eq(si.passkeys.counter, expected)))
          .returning({ id: si.passkeys.id })
        return rows.length > 0
      },
      async delete(citizenId, id) {
        const rows = await db
          .delete(si.passkeys)
          .where(and(eq(si.passkeys.citizenId, citizenId), eq(si.passkeys.id, id)))
          .returning({ id: si.passkeys.id })
        return rows.length > 0
      },
    },
    activationCodes: {
      create: (code, at) =>
        inTransaction(async (tx) => {
          const key = `${code.officeId}:${code.customerNumber}`
          await tx.execute(sql`select pg_advisory_xact_lock(${ACTIVATION_LOCK_NS}, hashtext(${key}))`)
          await tx
            .update(si.activationCodes)
            .set({ voidedAt: at })
            .where(and(customerCodes(code.officeId, code.customerNumber), openCode))
          const [saved] = await tx
            .insert(si.activationCodes)
            .values({
              ...code,
              failedAttempts: 0,
              voidedAt: null,
              usedAt: null,
              usedByCitizenId: null,
              createdAt: at,
            })
            .returning()
          return toActivationCode(must(saved))
        }),
      findOpen: (officeId, customerNumber) => latestOpen(db, customerCodes(officeId, customerNumber)),
      findOpenByCustomer: (customerNumber) =>
        latestOpen(db, eq(si.activationCodes.customerNumber, customerNumber)),
      async recordFailure(id, maxAttempts, at) {
        const c = si.activationCodes
        const [updated] = await db
          .update(c)
          .set({
            failedAttempts: sql`${c.failedAttempts} + 1`,
            voidedAt: sql`case when ${c.failedAttempts} + 1 >= ${maxAttempts} then ${ts(at)} else ${c.voidedAt} end`,
          })
          .where(and(eq(c.id, id), openCode))
          .returning({ n: c.failedAttempts })
        if (updated) return updated.n
        // Already used or void: report the stored count without counting further.
        const [stored] = await db.select({ n: c.failedAttempts }).from(c).where(eq(c.id, id))
        return stored?.n ?? 0
      },
      async markUsed(id, citizenId, at) {
        const rows = await db
          .update(si.activationCodes)
          .set({ usedAt: at, usedByCitizenId: citizenId })
          .where(and(eq(si.activationCodes.id, id), openCode, gt(si.activationCodes.expiresAt, at)))
          .returning({ id: si.activationCodes.id })
        return rows.length > 0
      },
    },
    rateLimits: {
      async hit(key, windowMs, now) {
        const r = si.rateLimits
        // The window opens at the key's first counted hit (see the SQLite twin for why).
        const expired = sql`${r.windowStart} <= excluded.window_start - make_interval(secs => ${windowMs / 1000})`
        const [row] = await db
          .insert(r)
          .values({ key, windowStart: now, count: 1 })
          .onConflictDoUpdate({
            target: r.key,
            set: {
              count: sql`case when ${expired} then 1 else ${r.count} + 1 end`,
              windowStart: sql`case when ${expired} then excluded.window_start else ${r.windowStart} end`,
            },
          })
          .returning()
        const saved = must(row)
        return { count: saved.count, resetAt: new Date(saved.windowStart.getTime() + windowMs) }
      },
      async reset(key) {
        await db.delete(si.rateLimits).where(eq(si.rateLimits.key, key))
      },
    },
  }
}

async function latestOpen(db: PgDb, where: SQL | undefined): Promise<ActivationCode | null> {
  const [row] = await db
    .select()
    .from(si.activationCodes)
    .where(and(where, openCode))
    .orderBy(desc(si.activationCodes.createdAt))
    .limit(1)
  return row ? toActivationCode(row) : null
}

const customerCodes = (officeId: string, customerNumber: string) =>
  and(eq(si.activationCodes.officeId, officeId), eq(si.activationCodes.customerNumber, customerNumber))

function must<T>(row: T | undefined): T {
  if (row === undefined) throw new Error('write returned no row')
  return row
}
