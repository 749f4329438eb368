import { type Placeholder, type SQL, sql } from 'drizzle-orm'
import type { PgDb } from './repos.ts'

/**
 * A named prepared statement, built once per process and run on whichever handle a repository holds:
 * the pool or a transaction's client. drizzle's builder costs ~0.25 ms of CPU per query and PostgreSQL
 * parses and plans an unnamed statement on every call (~0.13 ms); a named one is parsed once per
 * connection. Measured on this VM (bench/queries.bench.ts): a select by id 390 → 140 µs of Node CPU
 * and 190 → 60 µs of PostgreSQL CPU; inside a transaction 620 → 300 µs and 265 → 100 µs.
 *
 * drizzle binds a prepared query to the client it was built with, and a transaction's repositories are
 * built per transaction, so `statement()` lives at module level and hands out a copy bound to the
 * caller's client; the SQL text and its placeholders are the same for every client.
 */
export function statement<Q extends object>(build: (db: PgDb) => Q): (db: PgDb) => Q {
  let built: Q | undefined
  return (db) => {
    built ??= build(db)
    return Object.create(built, { client: { value: clientOf(db) } }) as Q
  }
}

/** The pg Pool or PoolClient behind a drizzle node-postgres handle (its session's client). */
function clientOf(db: PgDb): object {
  const client = (db as unknown as { session?: { client?: object } }).session?.client
  if (!client)
    throw new Error('drizzle node-postgres handle without session.client: check the drizzle version')
  return client
}

type Execute = { execute(values: Record<string, unknown>): Promise<unknown> }

/**
 * An INSERT of the row's defined fields as a named statement: one statement per distinct set of fields
 * and null fields (a row type with optional fields has a few), each built once; `build` may add
 * ON CONFLICT or RETURNING to the insert it is given.
 */
export function insertStatement<R>(
  name: string,
  build: (db: PgDb, values: Record<string, Placeholder | SQL>) => { prepare(name: string): object },
): (db: PgDb, row: object) => Promise<R> {
  const byFields = new Map<string, (db: PgDb) => Execute>()
  return (db, row) => {
    const values = row as Record<string, unknown>
    const fields = Object.keys(values).filter((k) => values[k] !== undefined)
    // A null is written as NULL in the text: drizzle's column encoders (timestamps) do not take null.
    const signature = fields.map((f) => (values[f] === null ? `${f}=null` : f)).join(',')
    let prepared = byFields.get(signature)
    if (!prepared) {
      const placeholders = Object.fromEntries(
        fields.map((f) => [f, values[f] === null ? sql`null` : sql.placeholder(f)]),
      )
      const statementName = `${name}_${byFields.size}`
      prepared = statement((d) => build(d, placeholders).prepare(statementName) as Execute)
      byFields.set(signature, prepared)
    }
    return prepared(db).execute(values) as Promise<R>
  }
}

/** Hand-written SQL as a named statement on the handle's client (for what drizzle cannot build, e.g. unnest). */
export function sqlStatement(name: string, text: string) {
  return (db: PgDb, values: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> =>
    (clientOf(db) as { query(q: object): Promise<{ rows: unknown[]; rowCount: number | null }> }).query({
      name,
      text,
      values,
    })
}
