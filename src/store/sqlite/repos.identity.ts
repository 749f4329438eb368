import { randomUUID } from 'node:crypto'
import { and, asc, desc, eq, gt, inArray, isNull, ne, type SQL, sql } from 'drizzle-orm'
import type { IdentityRepos } from '../identity.port.ts'
import type {
  ActivationCode,
  EmailToken,
  Passkey,
  RecoveryCode,
  Session,
  TotpFactor,
} from '../identity.types.ts'
import { defined } from '../rows.ts'
import type { SqliteDb, SyncFn } from './repos.ts'
import * as si from './schema.identity.ts'
import * as s from './schema.ts'

export type SyncIdentityRepos = {
  [R in keyof IdentityRepos]: { [M in keyof IdentityRepos[R]]: SyncFn<IdentityRepos[R][M]> }
}

const one = <T>(rows: T[]): T | null => rows[0] ?? null
const openCode = and(isNull(si.activationCodes.usedAt), isNull(si.activationCodes.voidedAt))

/**
 * The identity repositories on SQLite. Every "atomic" method is one conditional UPDATE/UPSERT
 * with RETURNING, so the same statement stays race-free on PostgreSQL (see pg/repos.identity.ts).
 */
export function sqliteIdentityRepos(db: SqliteDb): SyncIdentityRepos {
  return {
    emailTokens: {
      create(t) {
        const row = { ...t, usedAt: null, createdAt: new Date() }
        db.insert(si.emailTokens).values(row).run()
        return row
      },
      consume: (tokenHash, purpose, now) =>
        one(
          db
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
            .all(),
        ) as EmailToken | null,
    },
    sessions: {
      create(n) {
        const row = { mfaVerifiedAt: null, mfaMethod: null, ...n, challenge: null }
        db.insert(s.sessions).values(row).run()
        return row
      },
      get: (id) => one(db.select().from(s.sessions).where(eq(s.sessions.id, id)).all()) as Session | null,
      touch(id, at) {
        db.update(s.sessions).set({ lastSeenAt: at }).where(eq(s.sessions.id, id)).run()
      },
      rotate: (oldId, newId, patch) =>
        db
          .update(s.sessions)
          .set({ ...defined(patch), id: newId })
          .where(eq(s.sessions.id, oldId))
          .run().changes > 0,
      setChallenge(id, challenge) {
        db.update(s.sessions).set({ challenge }).where(eq(s.sessions.id, id)).run()
      },
      consumeChallenge: (id, challenge) =>
        db
          .update(s.sessions)
          .set({ challenge: null })
          .where(and(eq(s.sessions.id, id), eq(s.sessions.challenge, challenge)))
          .run().changes > 0,
      delete(id) {
        db.delete(s.sessions).where(eq(s.sessions.id, id)).run()
      },
      deleteForCitizen: (citizenId, exceptId) =>
        db
          .delete(s.sessions)
          .where(and(eq(s.sessions.citizenId, citizenId), exceptId ? ne(s.sessions.id, exceptId) : undefined))
          .run().changes,
    },
    totp: {
      upsert(citizenId, secretEnc, at) {
        const fresh = { secretEnc, confirmedAt: null, lastUsedStep: 0, createdAt: at }
        db.insert(si.totpFactors)
          .values({ citizenId, ...fresh })
          .onConflictDoUpdate({ target: si.totpFactors.citizenId, set: fresh })
          .run()
      },
      get: (citizenId) =>
        one(
          db.select().from(si.totpFactors).where(eq(si.totpFactors.citizenId, citizenId)).all(),
        ) as TotpFactor | null,
      useStep: (citizenId, step, at) =>
        db
          .update(si.totpFactors)
          .set({
            lastUsedStep: step,
            confirmedAt: sql`coalesce(${si.totpFactors.confirmedAt}, ${at.getTime()})`,
          })
          .where(and(eq(si.totpFactors.citizenId, citizenId), sql`${si.totpFactors.lastUsedStep} < ${step}`))
          .run().changes > 0,
      delete(citizenId) {
        db.delete(si.totpFactors).where(eq(si.totpFactors.citizenId, citizenId)).run()
      },
    },
    recoveryCodes: {
      replaceAll(citizenId, codeHashes, at) {
        db.transaction((tx) => {
          tx.delete(si.recoveryCodes).where(eq(si.recoveryCodes.citizenId, citizenId)).run()
          if (codeHashes.length === 0) return
          const rows = codeHashes.map((codeHash) => ({
            id: randomUUID(),
            citizenId,
            codeHash,
            usedAt: null,
            createdAt: at,
          }))
          tx.insert(si.recoveryCodes).values(rows).run()
        })
      },
      consume: (citizenId, codeHash, at) =>
        db
          .update(si.recoveryCodes)
          .set({ usedAt: at })
          .where(
            and(
              inArray(
                si.recoveryCodes.id,
                db
                  .select({ id: si.recoveryCodes.id })
                  .from(si.recoveryCodes)
                  .where(recoveryMatch(citizenId, codeHash))
                  .limit(1),
              ),
              isNull(si.recoveryCodes.usedAt),
            ),
          )
          .run().changes > 0,
      countUnused: (citizenId) =>
        db
          .select({ n: sql<number>`count(*)` })
          .from(si.recoveryCodes)
          .where(and(eq(si.recoveryCodes.citizenId, citizenId), isNull(si.recoveryCodes.usedAt)))
          .all()[0]?.n ?? 0,
      list: (citizenId) =>
        db
          .select()
          .from(si.recoveryCodes)
          .where(eq(si.recoveryCodes.citizenId, citizenId))
          .orderBy(asc(si.recoveryCodes.createdAt), asc(si.recoveryCodes.id))
          .all() as RecoveryCode[],
    },
    passkeys: {
      create(p) {
        const row = { ...p, createdAt: new Date(), lastUsedAt: null }
        db.insert(si.passkeys).values(row).run()
        return row
      },
      listForCitizen: (citizenId) =>
        db
          .select()
          .from(si.passkeys)
          .where(eq(si.passkeys.citizenId, citizenId))
          .orderBy(asc(si.passkeys.createdAt), asc(si.passkeys.id))
          .all() as Passkey[],
      get: (citizenId, id) =>
        one(
          db
            .select()
            .from(si.passkeys)
            .where(and(eq(si.passkeys.citizenId, citizenId), eq(si.passkeys.id, id)))
            .all(),
        ) as Passkey | null,
      updateCounter: (id, expected, counter, at) =>
        db
          .update(si.passkeys)
          .set({ counter, lastUsedAt: at })
          .where(and(eq(si.passkeys.id, id), eq(si.passkeys.counter, expected)))
          .run().changes > 0,
      delete: (citizenId, id) =>
        db
          .delete(si.passkeys)
          .where(and(eq(si.passkeys.citizenId, citizenId), eq(si.passkeys.id, id)))
          .run().changes > 0,
    },
    activationCodes: {
      create(code, at) {
        const row = {
          ...code,
          failedAttempts: 0,
          voidedAt: null,
          usedAt: null,
          usedByCitizenId: null,
          createdAt: at,
        }
        db.transaction((tx) => {
          tx.update(si.activationCodes)
            .set({ voidedAt: at })
            .where(and(customerCodes(code.officeId, code.customerNumber), openCode))
            .run()
          tx.insert(si.activationCodes).values(row).run()
        })
        return row
      },
      findOpen: (officeId, customerNumber) => latestOpen(db, customerCodes(officeId, customerNumber)),
      findOpenByCustomer: (customerNumber) =>
        latestOpen(db, eq(si.activationCodes.customerNumber, customerNumber)),
      recordFailure(id, maxAttempts, at) {
        const updated = one(
          db
            .update(si.activationCodes)
            .set(failureSet(maxAttempts, sql`${at.getTime()}`))
            .where(and(eq(si.activationCodes.id, id), openCode))
            .returning({ n: si.activationCodes.failedAttempts })
            .all(),
        )
        if (updated) return updated.n
        // Already used or void: report the stored count without counting further.
        return (
          one(
            db
              .select({ n: si.activationCodes.failedAttempts })
              .from(si.activationCodes)
              .where(eq(si.activationCodes.id, id))
              .all(),
          )?.n ?? 0
        )
      },
      markUsed: (id, citizenId, at) =>
        db
          .update(si.activationCodes)
          .set({ usedAt: at, usedByCitizenId: citizenId })
          .where(and(eq(si.activationCodes.id, id), openCode, gt(si.activationCodes.expiresAt, at)))
          .run().changes > 0,
    },
    rateLimits: {
      hit(key, windowMs, now) {
        const row = db
          .insert(si.rateLimits)
          .values({ key, windowStart: now, count: 1 })
          .onConflictDoUpdate({ target: si.rateLimits.key, set: rateLimitSet(windowMs) })
          .returning()
          .get()
        return { count: row.count, resetAt: new Date(row.windowStart.getTime() + windowMs) }
      },
      reset(key) {
        db.delete(si.rateLimits).where(eq(si.rateLimits.key, key)).run()
      },
    },
  }
}

function latestOpen(db: SqliteDb, where: SQL | undefined): ActivationCode | null {
  return one(
    db
      .select()
      .from(si.activationCodes)
      .where(and(where, openCode))
      .orderBy(desc(si.activationCodes.createdAt))
      .limit(1)
      .all(),
  )
}

const customerCodes = (officeId: string, customerNumber: string) =>
  and(eq(si.activationCodes.officeId, officeId), eq(si.activationCodes.customerNumber, customerNumber))

const recoveryMatch = (citizenId: string, codeHash: Buffer) =>
  and(
    eq(si.recoveryCodes.citizenId, citizenId),
    eq(si.recoveryCodes.codeHash, codeHash),
    isNull(si.recoveryCodes.usedAt),
  )

/** failed_attempts + 1, and void the code in the same statement once it reaches maxAttempts. */
function failureSet(maxAttempts: number, at: SQL) {
  const c = si.activationCodes
  return {
    failedAttempts: sql`${c.failedAttempts} + 1`,
    voidedAt: sql`case when ${c.failedAttempts} + 1 >= ${maxAttempts} then ${at} else ${c.voidedAt} end`,
  }
}

/**
 * The window opens at the key's first counted hit and lasts windowMs; a hit after it restarts the
 * count, and a hit stamped a little earlier than the stored start (a parallel request) still counts.
 * Windows aligned to the clock (floor(now / windowMs)) reset every key at once on each boundary, so
 * a run of attempts that straddled one was split in two and allowed up to twice the limit.
 */
const rateLimitSet = (windowMs: number) => {
  const expired = sql`${si.rateLimits.windowStart} <= excluded.window_start - ${windowMs}`
  return {
    count: sql`case when ${expired} then 1 else ${si.rateLimits.count} + 1 end`,
    windowStart: sql`case when ${expired} then excluded.window_start else ${si.rateLimits.windowStart} end`,
  }
}
