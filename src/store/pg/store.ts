import { fileURLToPath } from 'node:url'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import { drizzle, type NodePgDatabase, type NodePgTransaction } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import type { Logger } from '../../logger.ts'
import type { Store, Tx } from '../store.port.ts'
import { redactUrl } from './connect.ts'
import { pgRepos } from './repos.ts'
import * as schema from './schema.ts'

const migrationsFolder = fileURLToPath(new URL('../../../migrations/pg', import.meta.url))

// Session-level lock so `serve` and `worker` starting together apply migrations one after the other.
const MIGRATE_LOCK_KEY = 0x706b_6d67 // 'pkmg'

/** Hidden handle on a Tx so the pg-boss queue can enqueue through the same transaction (fromDrizzle). */
export const PG_TX = Symbol('pg.tx')

export type PgTxDb = NodePgTransaction<typeof schema, ExtractTablesWithRelations<typeof schema>>

export type PgStore = Store & {
  readonly dialect: 'pg'
  readonly pool: pg.Pool
  readonly db: NodePgDatabase<typeof schema>
  /** The drizzle transaction handle of a transaction created by this store. */
  txDb(tx: Tx): PgTxDb
}

export type PgStoreOptions = { url: string; poolMax: number; log?: Logger }

/** Opens a lazy pool: nothing connects until the first query, so a down database never crashes start-up. */
export function createPgStore({ url, poolMax, log }: PgStoreOptions): PgStore {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolMax,
    connectionTimeoutMillis: 10_000,
    application_name: 'postkorb',
  })
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (err) =>
    log?.warn({ err: { message: err.message }, db: redactUrl(url) }, 'pg idle client error'),
  )
  const db = drizzle(pool, { schema })
  let closed = false

  const txRepos = (tx: PgTxDb): Tx =>
    Object.assign(
      pgRepos(tx, (fn) => fn(tx)),
      {
        [PG_TX]: tx,
        // drizzle runs a nested transaction as SAVEPOINT … RELEASE / ROLLBACK TO.
        savepoint: <T>(fn: (inner: Tx) => Promise<T>) => tx.transaction((inner) => fn(txRepos(inner))),
      },
    ) as unknown as Tx

  return {
    dialect: 'pg',
    pool,
    db,
    ...pgRepos(db, (fn) => db.transaction((tx) => fn(tx))),
    transaction: (fn) => db.transaction((tx) => fn(txRepos(tx))),
    txDb(tx) {
      const handle = (tx as unknown as Record<symbol, PgTxDb | undefined>)[PG_TX]
      if (!handle) throw new Error('not a transaction of the PostgreSQL store')
      return handle
    },
    async migrate() {
      const client = await pool.connect()
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATE_LOCK_KEY])
        try {
          await migrate(drizzle(client, { schema }), { migrationsFolder })
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATE_LOCK_KEY])
        }
      } finally {
        client.release()
      }
    },
    async ping() {
      await pool.query('select 1')
    },
    async close() {
      if (closed) return
      closed = true
      await pool.end()
    },
  }
}
