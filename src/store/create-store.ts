import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import { createPgStore, type PgStore } from './pg/store.ts'
import { createSqliteStore, type SqliteStore } from './sqlite/store.ts'

export type AnyStore = SqliteStore | PgStore

/** Opens the store the configuration names; callers narrow on `dialect` only where they must (the queue). */
export function createStore(db: Config['db'], log?: Logger): AnyStore {
  if (db.kind === 'sqlite') return createSqliteStore(db.file)
  return createPgStore({ url: db.url, poolMax: db.poolMax, log })
}
