import type Database from 'better-sqlite3'
import type { SqliteDb } from '../../store/sqlite/repos.ts'

/** The better-sqlite3 connection under a drizzle handle (drizzle keeps it as $client). */
export function rawConnection(db: SqliteDb): Database.Database {
  return (db as SqliteDb & { $client: Database.Database }).$client
}

/**
 * Prepares a set of statements once per connection and returns the getter: the queue's hot path
 * must stay well under a millisecond, so nothing is parsed per call.
 */
export function preparedStatements<K extends string>(sql: Record<K, string>) {
  const cache = new WeakMap<Database.Database, Record<K, Database.Statement>>()
  return (db: SqliteDb): Record<K, Database.Statement> => {
    const raw = rawConnection(db)
    let st = cache.get(raw)
    if (!st) {
      st = Object.fromEntries(
        Object.entries<string>(sql).map(([k, text]) => [k, raw.prepare(text)]),
      ) as Record<K, Database.Statement>
      cache.set(raw, st)
    }
    return st
  }
}
