import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe } from 'vitest'
import { createPgDatabase, pgUnavailableReason, requirePg } from './peers.ts'

export type BackendKind = 'sqlite' | 'pg'

/** A fresh database for one test: SQLite file in a temp dir, or a new PostgreSQL database. */
export type TestDatabase = { kind: BackendKind; url: string; cleanup: () => Promise<void> }

export async function makeTestDatabase(kind: BackendKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'postkorb-test-'))
    return {
      kind,
      url: `file:${path.join(dir, 'test.db')}`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  const { url, drop } = await createPgDatabase()
  return { kind, url, cleanup: drop }
}

const pgReason = await pgUnavailableReason()
if (pgReason && requirePg) throw new Error(`REQUIRE_PG=1 but ${pgReason}`)

/** Runs the same suite on SQLite always and on PostgreSQL when reachable (skipped with the reason otherwise). */
export function describeBackends(title: string, suite: (kind: BackendKind) => void) {
  describe(`${title} [sqlite]`, () => suite('sqlite'))
  const pgTitle = pgReason ? `${title} [pg] (skipped: ${pgReason})` : `${title} [pg]`
  describe.skipIf(pgReason !== null)(pgTitle, () => suite('pg'))
}
