import { and, asc, eq, gt, ne, sql } from 'drizzle-orm'
import type { CitizenRepo } from '../store.port.ts'
import type { PgDb } from './repos.ts'
import * as s from './schema.ts'

type CitizenKeyMethods = Pick<CitizenRepo, 'listWrappedNotUnder' | 'rewrapDek' | 'countByKeyId'>

/** The citizens' wrapped data keys, for KEK rotation (every row counts, deleted or not). */
export function pgCitizenKeyRepo(db: PgDb): CitizenKeyMethods {
  return {
    listWrappedNotUnder: (keyId, afterId, limit) =>
      db
        .select({ id: s.citizens.id, dekWrapped: s.citizens.dekWrapped, dekKeyId: s.citizens.dekKeyId })
        .from(s.citizens)
        .where(and(ne(s.citizens.dekKeyId, keyId), afterId === null ? undefined : gt(s.citizens.id, afterId)))
        .orderBy(asc(s.citizens.id))
        .limit(limit),
    async rewrapDek(id, expectedOldKeyId, wrapped, newKeyId) {
      const rows = await db
        .update(s.citizens)
        .set({ dekWrapped: wrapped, dekKeyId: newKeyId })
        .where(and(eq(s.citizens.id, id), eq(s.citizens.dekKeyId, expectedOldKeyId)))
        .returning({ id: s.citizens.id })
      return rows.length > 0
    },
    async countByKeyId() {
      const rows = await db
        .select({ keyId: s.citizens.dekKeyId, n: sql<number>`count(*)` })
        .from(s.citizens)
        .groupBy(s.citizens.dekKeyId)
      return Object.fromEntries(rows.map((r) => [r.keyId, Number(r.n)]))
    },
  }
}
