import { randomUUID } from 'node:crypto'
import type { SqliteDb } from '../../store/sqlite/repos.ts'
import type { JobDef } from '../queue.port.ts'
import { retryDelayMs } from '../run-handler.ts'
import { preparedStatements } from './statements.ts'

/** One queue_jobs row as the embedded queue reads it (column names as in the schema). */
export type JobRow = {
  id: string
  name: string
  payload: string
  state: 'created' | 'active' | 'completed' | 'failed'
  singleton_key: string
  attempt: number
  retry_limit: number
  retry_delay_ms: number
  retry_backoff: number
  expire_ms: number
  dead_letter: string | null
  run_after: number
  locked_until: number | null
  last_error: string | null
  created_at: number
  completed_at: number | null
}

export const deadLetterName = (name: string) => `${name}.dlq`

const columns =
  'id, name, payload, state, singleton_key, attempt, retry_limit, retry_delay_ms, retry_backoff, ' +
  'expire_ms, dead_letter, run_after, locked_until, last_error, created_at, completed_at'
const values =
  '@id, @name, @payload, @state, @singleton_key, @attempt, @retry_limit, @retry_delay_ms, @retry_backoff, ' +
  '@expire_ms, @dead_letter, @run_after, @locked_until, @last_error, @created_at, @completed_at'

export const jobSql = {
  insert: `INSERT INTO queue_jobs (${columns}) VALUES (${values}) ON CONFLICT DO NOTHING`,
  // Cron slots stay taken after completion, so a second process ticking the same slot adds nothing.
  insertOnce: `INSERT INTO queue_jobs (${columns}) SELECT ${values}
    WHERE NOT EXISTS (SELECT 1 FROM queue_jobs WHERE name = @name AND singleton_key = @singleton_key)`,
  // Two halves, each an index search on (name, state, run_after) with its own LIMIT: one OR across
  // both made SQLite search by name only and sort every finished row of that name (0.7 ms at 10k).
  claim: `UPDATE queue_jobs SET state = 'active', attempt = attempt + 1, locked_until = @now + expire_ms
    WHERE id IN (SELECT id FROM (
      SELECT id, run_after FROM (SELECT id, run_after FROM queue_jobs
        WHERE name = @name AND state = 'created' AND run_after <= @now ORDER BY run_after LIMIT @limit)
      UNION ALL
      SELECT id, run_after FROM (SELECT id, run_after FROM queue_jobs
        WHERE name = @name AND state = 'active' AND locked_until < @now AND attempt <= retry_limit
        ORDER BY run_after LIMIT @limit)
      ORDER BY run_after LIMIT @limit))
    RETURNING *`,
  // Between sweeps only waiting jobs are claimed (one index search); expired leases wait for the next sweep.
  claimCreated: `UPDATE queue_jobs SET state = 'active', attempt = attempt + 1, locked_until = @now + expire_ms
    WHERE id IN (SELECT id FROM queue_jobs
      WHERE name = @name AND state = 'created' AND run_after <= @now ORDER BY run_after LIMIT @limit)
    RETURNING *`,
  expireExhausted: `UPDATE queue_jobs SET state = 'failed', locked_until = NULL, completed_at = @now,
      last_error = 'lease expired after the last attempt'
    WHERE name = @name AND state = 'active' AND locked_until < @now AND attempt > retry_limit
    RETURNING *`,
  nextDue: `SELECT min(t) AS t FROM (
      SELECT min(run_after) AS t FROM queue_jobs WHERE name = @name AND state = 'created'
      UNION ALL SELECT min(locked_until) FROM queue_jobs WHERE name = @name AND state = 'active')`,
  nextCreated: `SELECT min(run_after) AS t FROM queue_jobs WHERE name = @name AND state = 'created'`,
  complete: `UPDATE queue_jobs SET state = 'completed', locked_until = NULL, completed_at = @now
    WHERE id = @id AND attempt = @attempt AND state = 'active'`,
  fail: `UPDATE queue_jobs SET state = @state, run_after = @run_after, locked_until = NULL,
      last_error = @error, completed_at = @completed_at
    WHERE id = @id AND attempt = @attempt AND state = 'active'`,
  counts: 'SELECT state, count(*) AS n FROM queue_jobs WHERE name = ? GROUP BY state',
} as const

const statements = preparedStatements(jobSql)

/** A new waiting row; without a singleton key the job's own id is its key (never collides). */
export function newJobRow(
  name: string,
  def: JobDef,
  payload: unknown,
  opts: { startAfter?: Date; singletonKey?: string; deadLetter?: boolean },
  now: number,
): JobRow {
  const id = randomUUID()
  return {
    id,
    name,
    payload: JSON.stringify(payload),
    state: 'created',
    singleton_key: opts.singletonKey ?? id,
    attempt: 0,
    retry_limit: def.retryLimit,
    retry_delay_ms: Math.round(def.retryDelaySeconds * 1000),
    retry_backoff: def.retryBackoff ? 1 : 0,
    expire_ms: Math.round(def.expireInSeconds * 1000),
    dead_letter: (opts.deadLetter ?? def.deadLetter) ? deadLetterName(name) : null,
    run_after: Math.max(opts.startAfter?.getTime() ?? now, now),
    locked_until: null,
    last_error: null,
    created_at: now,
    completed_at: null,
  }
}

/** Inserts a row; false when a waiting or running job already holds its singleton key. */
export function insertJob(db: SqliteDb, row: JobRow, once = false): boolean {
  const st = statements(db)
  return (once ? st.insertOnce : st.insert).run(row).changes === 1
}

export type Claimed = { jobs: JobRow[]; exhausted: JobRow[]; nextDueAt: number | null }

/**
 * Claims up to limit due jobs in one UPDATE: waiting ones, and with `sweep` (once per poll interval)
 * also those running under an expired lease, after failing leases that expired on their last attempt.
 * Between sweeps the claim is one index search (measured: claim and completion 0.29 -> 0.22 ms of CPU
 * per job), so a lease is taken over up to one poll interval after it expired. The next due time is
 * looked up only when the claim left slots free (the caller then sleeps until it). Callers hold the
 * store lock.
 */
export function claimJobs(db: SqliteDb, name: string, limit: number, now: number, sweep = true): Claimed {
  const st = statements(db)
  const exhausted = sweep ? (st.expireExhausted.all({ name, now }) as JobRow[]) : []
  for (const row of exhausted) copyToDeadLetter(db, row, now)
  const claim = sweep ? st.claim : st.claimCreated
  const jobs = limit > 0 ? (claim.all({ name, now, limit }) as JobRow[]) : []
  // Without a sweep an expired lease is not claimable, so only waiting jobs say when to look again.
  const due = sweep ? st.nextDue : st.nextCreated
  const next = jobs.length < limit ? (due.get({ name }) as { t: number | null }) : { t: null }
  return { jobs, exhausted, nextDueAt: next.t }
}

/** Marks this attempt completed; false when a newer attempt (re-claimed after its lease) owns the job. */
export function completeJob(db: SqliteDb, row: JobRow, now: number): boolean {
  return statements(db).complete.run({ id: row.id, attempt: row.attempt, now }).changes === 1
}

export type FailResult = { recorded: boolean; retryAt: number | null; deadLettered: string | null }

/** Schedules a retry while attempts remain (and the failure is not permanent), else fails the job. */
export function failJob(
  db: SqliteDb,
  row: JobRow,
  failure: { permanent: boolean; message: string; retryDelayMaxSeconds: number },
  now: number,
): FailResult {
  const retry = !failure.permanent && row.attempt <= row.retry_limit
  const retryAt = retry ? now + rowRetryDelayMs(row, failure.retryDelayMaxSeconds) : null
  const changes = statements(db).fail.run({
    id: row.id,
    attempt: row.attempt,
    state: retry ? 'created' : 'failed',
    run_after: retryAt ?? row.run_after,
    error: failure.message.slice(0, 1000),
    completed_at: retry ? null : now,
  }).changes
  if (changes !== 1) return { recorded: false, retryAt: null, deadLettered: null }
  const deadLettered = retry ? null : copyToDeadLetter(db, row, now)
  return { recorded: true, retryAt, deadLettered }
}

function rowRetryDelayMs(row: JobRow, retryDelayMaxSeconds: number): number {
  const def = {
    retryDelaySeconds: row.retry_delay_ms / 1000,
    retryBackoff: row.retry_backoff === 1,
    retryDelayMaxSeconds,
  }
  return retryDelayMs(def, row.attempt)
}

/** Copies a failed job to its dead letter queue (same payload and lease, no dead letter of its own). */
function copyToDeadLetter(db: SqliteDb, row: JobRow, now: number): string | null {
  if (!row.dead_letter) return null
  const id = randomUUID()
  const copy: JobRow = {
    ...row,
    id,
    name: row.dead_letter,
    state: 'created',
    singleton_key: id,
    attempt: 0,
    dead_letter: null,
    run_after: now,
    locked_until: null,
    last_error: null,
    created_at: now,
    completed_at: null,
  }
  statements(db).insert.run(copy)
  return row.dead_letter
}

export type JobCounts = { waiting: number; active: number; completed: number; failed: number }

/** Jobs of one name by state. */
export function countJobs(db: SqliteDb, name: string): JobCounts {
  const counts: JobCounts = { waiting: 0, active: 0, completed: 0, failed: 0 }
  const rows = statements(db).counts.all(name) as { state: JobRow['state']; n: number }[]
  for (const { state, n } of rows) counts[state === 'created' ? 'waiting' : state] += n
  return counts
}
