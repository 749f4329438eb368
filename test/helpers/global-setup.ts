import { pgUnavailableReason, requirePg } from './peers.ts'

/** Says once, up front, which backend suites will be skipped and why (or fails in CI). */
export default async function setup() {
  const pgReason = await pgUnavailableReason()
  if (pgReason && requirePg) throw new Error(`REQUIRE_PG=1 but ${pgReason}`)
  if (pgReason) console.warn(`[postkorb tests] SKIPPING PostgreSQL suites: ${pgReason}`)
  else console.log('[postkorb tests] PostgreSQL reachable: contract suites run on SQLite and PostgreSQL')
}
