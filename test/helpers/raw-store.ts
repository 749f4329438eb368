import { existsSync, readFileSync } from 'node:fs'
import pg from 'pg'
import type { Config } from '../../src/config.ts'

/**
 * Every stored byte a thief of the database would get: the SQLite file and its WAL, or every
 * text, json and bytea value of every table in PostgreSQL (no pg_dump needed).
 */
export async function storedBytes(db: Config['db']): Promise<Buffer[]> {
  if (db.kind === 'sqlite')
    return [db.file, `${db.file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f))
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    const { rows: columns } = await client.query<{
      table_schema: string
      table_name: string
      column_name: string
    }>(
      `select c.table_schema, c.table_name, c.column_name from information_schema.columns c
         join information_schema.tables t using (table_schema, table_name)
        where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
          and c.data_type in ('text', 'bytea', 'character varying', 'json', 'jsonb', 'ARRAY')`,
    )
    if (columns.length < 20) throw new Error(`only ${columns.length} columns found: wrong database?`)
    const out: Buffer[] = []
    for (const c of columns) {
      const { rows } = await client.query(
        `select "${c.column_name}"::text as v, "${c.column_name}" as raw from "${c.table_schema}"."${c.table_name}"`,
      )
      for (const r of rows) {
        if (r.v !== null) out.push(Buffer.from(String(r.v)))
        if (Buffer.isBuffer(r.raw)) out.push(r.raw)
      }
    }
    return out
  } finally {
    await client.end()
  }
}

/** Names of the markers found in the stored bytes (as given and lower-cased). */
export function markersFound(stored: Buffer[], markers: Record<string, string>): string[] {
  return Object.entries(markers)
    .filter(([, m]) => stored.some((b) => b.includes(m) || b.includes(m.toLowerCase())))
    .map(([name]) => name)
}
