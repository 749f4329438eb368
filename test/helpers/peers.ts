import pg from 'pg'

/** Where the optional peers are, and whether CI demands them. */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const requirePg = process.env.REQUIRE_PG === '1'
export const requireClamd = process.env.REQUIRE_CLAMD === '1'

/** Resolves to null when PostgreSQL answers, else the reason it cannot be used. */
export async function pgUnavailableReason(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (err) {
    return `PostgreSQL at ${PG_ADMIN_URL.replace(/\/\/[^@]*@/, '//')} unreachable: ${(err as Error).message}`
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Creates a fresh database and returns its URL plus a function that drops it. */
export async function createPgDatabase(
  prefix = 'postkorb_t',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`create database "${name}"`)
  await admin.end()
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL })
      await c.connect()
      await c.query(`drop database if exists "${name}" with (force)`)
      await c.end()
    },
  }
}
