import { setImmediate as yieldToOthers } from 'node:timers/promises'
import type Database from 'better-sqlite3'
import type { Logger } from '../../logger.ts'
import type { SqliteDb } from '../../store/sqlite/repos.ts'
import type { SqliteStore } from '../../store/sqlite/store.ts'
import { preparedStatements } from './statements.ts'

/** How long finished jobs stay in queue_jobs, as pg-boss keeps them: failures longer, for inspection. */
export type Retention = {
  /** Completed jobs are deleted this long after completion. */
  completedMs: number
  /** Failed jobs, and dead letter copies in any state but running, are deleted this long after. */
  failedMs: number
}

export const defaultRetention: Retention = { completedMs: 24 * 3600_000, failedMs: 14 * 24 * 3600_000 }

// run_after <= completed_at holds for every finished row, so the run_after bound only lets the
// (name, state, run_after) index narrow the search; completed_at decides.
export const retentionSql = {
  // Distinct names by hopping along the index: one search per name, not a scan of the table.
  names: `WITH RECURSIVE n(name) AS (
      SELECT min(name) FROM queue_jobs
      UNION ALL SELECT (SELECT min(name) FROM queue_jobs WHERE name > n.name) FROM n WHERE n.name IS NOT NULL)
    SELECT name FROM n WHERE name IS NOT NULL`,
  finished: `DELETE FROM queue_jobs WHERE id IN (SELECT id FROM queue_jobs
      WHERE name = @name AND state = @state AND run_after < @cutoff AND completed_at < @cutoff LIMIT @limit)`,
  unworkedCopies: `DELETE FROM queue_jobs WHERE id IN (SELECT id FROM queue_jobs
      WHERE name = @name AND state = 'created' AND created_at < @cutoff LIMIT @limit)`,
} as const

const statements = preparedStatements(retentionSql)

const isDeadLetterQueue = (name: string) => name.endsWith('.dlq')

/**
 * Deletes up to limit jobs past their retention and returns how many; callers repeat while it
 * returns limit, one store lock per batch so no batch holds the database for long.
 */
export function deleteExpiredJobs(db: SqliteDb, retention: Retention, now: number, limit: number): number {
  const st = statements(db)
  const names = (st.names.all() as { name: string }[]).map((r) => r.name)
  let left = limit
  for (const name of names) {
    const dlq = isDeadLetterQueue(name)
    const failedCutoff = now - retention.failedMs
    const steps: [Database.Statement, Record<string, unknown>][] = [
      [st.finished, { name, state: 'completed', cutoff: dlq ? failedCutoff : now - retention.completedMs }],
      [st.finished, { name, state: 'failed', cutoff: failedCutoff }],
    ]
    if (dlq) steps.push([st.unworkedCopies, { name, cutoff: failedCutoff }])
    for (const [statement, params] of steps) {
      if (left <= 0) return limit
      left -= statement.run({ ...params, limit: left }).changes
    }
  }
  return limit - left
}

const BATCH = 500

export type RetentionSweep = {
  /** Sweeps now, then every everyMs; idempotent. */
  start(): void
  /** Stops sweeping and waits for a batch in flight. */
  stop(): Promise<void>
}

/** The queue's maintenance timer: deletes expired jobs in batches of BATCH rows, one lock each. */
export function createRetentionSweep(
  store: SqliteStore,
  retention: Retention,
  everyMs: number,
  log: Logger,
): RetentionSweep {
  let running = false
  let timer: NodeJS.Timeout | null = null
  let sweeping: Promise<void> | null = null

  async function sweep() {
    let deleted = 0
    try {
      for (;;) {
        const n = await store.exec((db) => deleteExpiredJobs(db, retention, Date.now(), BATCH))
        deleted += n
        if (n < BATCH || !running) break
        await yieldToOthers()
      }
    } catch (err) {
      log.error({ error: err instanceof Error ? err.message : String(err) }, 'queue retention sweep failed')
    }
    if (deleted > 0) log.info({ deleted }, 'queue retention: finished jobs deleted')
  }

  function tick() {
    if (sweeping) return
    sweeping = sweep().finally(() => {
      sweeping = null
    })
  }

  return {
    start() {
      if (running) return
      running = true
      tick()
      timer = setInterval(tick, everyMs)
      timer.unref()
    },
    async stop() {
      running = false
      if (timer) clearInterval(timer)
      timer = null
      await sweeping
    },
  }
}
