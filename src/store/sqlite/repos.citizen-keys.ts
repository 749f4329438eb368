import { and, asc, eq, gt, ne, sql } from 'drizzle-orm'
import type { Citizen } from '../store.types.ts'
import type { SqliteDb, SyncRepos } from './repos.ts'
import * as s from './schema.ts'

type CitizenKeyMethods = Pick<SyncRepos['citizens'], 'listWrappedNotUnder' | 'rewrapDek' | 'countByKeyId'>

/** The citizens' wrapped data keys, for KEK rotation (every row counts, deleted or not). */
export function sqliteCitizenKeyRepo(db: SqliteDb): CitizenKeyMethods {
  return {
    listWrappedNotUnder: (keyId, afterId, limit) =>
      db
        .select({ id: s.citizens.id, dekWrapped: s.citizens.dekWrapped, dekKeyId: s.citizens.dekKeyId })
        .from(s.citizens)
        .where(and(ne(s.citizens.dekKeyId, keyId), afterId === null ? undefined : gt(s.citizens.id, afterId)))
        .orderBy(asc(s.citizens.id))
        .limit(limit)
        .all() as Pick<Citizen, 'id' | 'dekWrapped' | 'dekKeyId'>[],
    rewrapDek: (id, expectedOldKeyId, wrapped, newKeyId) =>
      db
        .update(s.citizens)
        .set({ dekWrapped: wrapped, dekKeyId: newKeyId })
        .where(and(eq(s.citizens.id, id), eq(s.citizens.dekKeyId, expectedOldKeyId)))
        .run().changes > 0,
    countByKeyId: () =>
      Object.fromEntries(
        db
          .select({ keyId: s.citizens.dekKeyId, n: sql<number>`count(*)` })
          .from(s.citizens)
          .groupBy(s.citizens.dekKeyId)
          .all()
          .map((r) => [r.keyId, Number(r.n)]),
      ),
  }
}
