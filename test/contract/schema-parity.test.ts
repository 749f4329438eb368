import { is } from 'drizzle-orm'
import { PgTable, getTableConfig as pgConfig } from 'drizzle-orm/pg-core'
import { SQLiteTable, getTableConfig as sqliteConfig } from 'drizzle-orm/sqlite-core'
import { describe, expect, it } from 'vitest'
import * as pgIdentity from '../../src/store/pg/schema.identity.ts'
import * as pgInbound from '../../src/store/pg/schema.inbound.ts'
import * as pgNotices from '../../src/store/pg/schema.notices.ts'
import * as pgRouting from '../../src/store/pg/schema.routing.ts'
import * as pgMain from '../../src/store/pg/schema.ts'
import * as sqliteIdentity from '../../src/store/sqlite/schema.identity.ts'
import * as sqliteInbound from '../../src/store/sqlite/schema.inbound.ts'
import * as sqliteNotices from '../../src/store/sqlite/schema.notices.ts'
import * as sqliteRouting from '../../src/store/sqlite/schema.routing.ts'
import * as sqliteMain from '../../src/store/sqlite/schema.ts'

const pgSchema = { ...pgMain, ...pgIdentity, ...pgInbound, ...pgNotices, ...pgRouting }
const sqliteSchema = {
  ...sqliteMain,
  ...sqliteIdentity,
  ...sqliteInbound,
  ...sqliteNotices,
  ...sqliteRouting,
}
const IDENTITY_TABLES = [
  'activation_codes',
  'email_tokens',
  'passkeys',
  'rate_limits',
  'recovery_codes',
  'totp_factors',
]

// pg-boss owns the queue's tables on PostgreSQL; only the embedded queue needs one in SQLite.
const SQLITE_ONLY = new Set(['queue_jobs'])

type Shape = {
  columns: Record<string, { notNull: boolean; primary: boolean }>
  primaryKey: string[]
  indexes: Record<string, { unique: boolean; columns: string[]; partial: boolean }>
  foreignKeys: string[]
}

type AnyConfig = ReturnType<typeof pgConfig> | ReturnType<typeof sqliteConfig>

/** One dialect-neutral description of a table: what both migrations must agree on. */
function shape(config: AnyConfig): Shape {
  const columns = Object.fromEntries(
    config.columns.map((c) => [c.name, { notNull: c.notNull, primary: c.primary }] as const),
  )
  const primaryKey = [
    ...config.columns.filter((c) => c.primary).map((c) => c.name),
    ...config.primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name)),
  ]
  const indexes = Object.fromEntries(
    config.indexes.map((i) => [
      String(i.config.name),
      {
        unique: i.config.unique,
        columns: i.config.columns.map((c) => ('name' in c ? String(c.name) : '<expression>')),
        partial: i.config.where !== undefined,
      },
    ]),
  )
  const foreignKeys = config.foreignKeys
    .map((fk) => {
      const r = fk.reference()
      return `${r.columns.map((c) => c.name).join(',')}->${tableName(r.foreignTable)}(${r.foreignColumns.map((c) => c.name).join(',')}) on delete ${fk.onDelete ?? 'no action'}`
    })
    .sort()
  return { columns, primaryKey, indexes, foreignKeys }
}

function tableName(table: unknown): string {
  if (is(table, PgTable)) return pgConfig(table).name
  if (is(table, SQLiteTable)) return sqliteConfig(table).name
  return '?'
}

function tables(): { pg: Map<string, Shape>; sqlite: Map<string, Shape> } {
  const pg = new Map<string, Shape>()
  for (const value of Object.values(pgSchema)) {
    if (is(value, PgTable)) pg.set(pgConfig(value).name, shape(pgConfig(value)))
  }
  const sqlite = new Map<string, Shape>()
  for (const value of Object.values(sqliteSchema)) {
    if (is(value, SQLiteTable) && !SQLITE_ONLY.has(sqliteConfig(value).name)) {
      sqlite.set(sqliteConfig(value).name, shape(sqliteConfig(value)))
    }
  }
  return { pg, sqlite }
}

describe('schema parity between SQLite and PostgreSQL', () => {
  const { pg, sqlite } = tables()

  it('defines the same tables in both dialects, apart from the embedded queue table', () => {
    expect(pg.size).toBeGreaterThanOrEqual(16)
    for (const name of IDENTITY_TABLES) expect(sqlite.has(name), name).toBe(true)
    expect([...pg.keys()].sort()).toEqual([...sqlite.keys()].sort())
  })

  it.each([...sqlite.keys()].sort())(
    'gives table %s the same columns, nullability, keys and indexes',
    (name) => {
      const a = sqlite.get(name)
      const b = pg.get(name)
      expect(b, `table ${name} missing in pg/schema.ts`).toBeDefined()
      expect(b?.columns).toEqual(a?.columns)
      expect(b?.primaryKey).toEqual(a?.primaryKey)
      expect(b?.primaryKey.length, `table ${name} has no primary key`).toBeGreaterThan(0)
      expect(b?.indexes).toEqual(a?.indexes)
      expect(b?.foreignKeys).toEqual(a?.foreignKeys)
    },
  )
})
