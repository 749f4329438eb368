import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import type { Repos, Store, Tx } from '../store.port.ts'
import { createLock } from './lock.ts'
import { openSqlite } from './open.ts'
import { type SqliteDb, type SyncRepos, sqliteRepos } from './repos.ts'
import * as schema from './schema.ts'

const migrationsFolder = fileURLToPath(new URL('../../../migrations/sqlite', import.meta.url))

/** Hidden handle on a Tx so the embedded queue can write its row through the same transaction. */
export const SQLITE_TX = Symbol('sqlite.tx')

export type SqliteStore = Store & {
  readonly dialect: 'sqlite'
  /** Runs fn under the connection lock (outside any transaction) with the raw drizzle handle. */
  exec<T>(fn: (db: SqliteDb) => T): Promise<T>
  /** The drizzle handle of a transaction created by this store. */
  txDb(tx: Tx): SqliteDb
}

export function createSqliteStore(file: string): SqliteStore {
  const raw = openSqlite(file)
  const db = drizzle(raw, { schema })
  const lock = createLock()
  const sync = sqliteRepos(db)
  const locked = wrapRepos(sync, (fn) => lock.run(fn))
  let savepoints = 0
  const txRepos = Object.assign(
    wrapRepos(sync, (fn) => Promise.resolve().then(fn)),
    {
      [SQLITE_TX]: db,
      // Inside transaction() only, which holds the connection lock: no other writer can interleave.
      async savepoint<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
        const name = `sp${++savepoints}`
        raw.exec(`SAVEPOINT ${name}`)
        try {
          const result = await fn(txRepos)
          raw.exec(`RELEASE ${name}`)
          return result
        } catch (err) {
          if (raw.inTransaction) raw.exec(`ROLLBACK TO ${name}; RELEASE ${name}`)
          throw err
        }
      },
    },
  ) as unknown as Tx
  let closed = false

  return {
    dialect: 'sqlite',
    ...locked,
    transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return lock.run(async () => {
        raw.exec('BEGIN IMMEDIATE')
        try {
          const result = await fn(txRepos)
          raw.exec('COMMIT')
          return result
        } catch (err) {
          if (raw.inTransaction) raw.exec('ROLLBACK')
          throw err
        }
      })
    },
    exec: (fn) => lock.run(() => fn(db)),
    txDb(tx) {
      const handle = (tx as unknown as Record<symbol, SqliteDb | undefined>)[SQLITE_TX]
      if (!handle) throw new Error('not a transaction of the SQLite store')
      return handle
    },
    migrate: () => lock.run(() => migrate(db, { migrationsFolder })),
    ping: () => lock.run(() => void raw.prepare('select 1').get()),
    close: () =>
      lock.run(() => {
        if (closed) return
        closed = true
        raw.close()
      }),
  }
}

function wrapRepos(sync: SyncRepos, run: <T>(fn: () => T) => Promise<T>): Repos {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [repoName, repo] of Object.entries(sync)) {
    out[repoName] = Object.fromEntries(
      Object.entries(repo).map(([method, fn]) => [
        method,
        (...args: unknown[]) => run(() => (fn as (...a: unknown[]) => unknown)(...args)),
      ]),
    )
  }
  return out as unknown as Repos
}
