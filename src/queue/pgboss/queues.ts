import type { Queue as BossQueue, PgBoss, QueueResult, UpdateQueueOptions } from 'pg-boss'
import type { Logger } from '../../logger.ts'
import type { Catalog } from '../queue.port.ts'
import { deadLetterQueueOptions, dlqName, queueOptions } from './settings.ts'

type Wanted = Omit<BossQueue, 'name'>
const compared = [
  'retryLimit',
  'retryDelay',
  'retryBackoff',
  'retryDelayMax',
  'expireInSeconds',
  'deadLetter',
  'notify',
] as const

function differences(current: QueueResult, wanted: Wanted): string[] {
  return compared.filter((key) => (current[key] ?? null) !== (wanted[key] ?? null))
}

/** Creates a queue, or brings an existing one to the catalog's options (a policy cannot change: that throws). */
async function ensureQueue(boss: PgBoss, name: string, wanted: Wanted, log: Logger): Promise<void> {
  await boss.createQueue(name, wanted)
  const current = await boss.getQueue(name)
  if (!current) throw new Error(`pg-boss queue ${name} missing right after createQueue`)
  if ((current.policy ?? 'standard') !== wanted.policy) {
    throw new Error(
      `pg-boss queue ${name} has policy ${current.policy}, the catalog needs ${wanted.policy}; delete the queue to change it`,
    )
  }
  const changed = differences(current, wanted)
  if (changed.length === 0) return
  const update: UpdateQueueOptions = {
    retryLimit: wanted.retryLimit,
    retryDelay: wanted.retryDelay,
    retryBackoff: wanted.retryBackoff,
    retryDelayMax: wanted.retryDelayMax ?? null,
    expireInSeconds: wanted.expireInSeconds,
    deadLetter: wanted.deadLetter ?? null,
    notify: wanted.notify,
  }
  await boss.updateQueue(name, update)
  log.info({ queue: name, changed }, 'pg-boss queue options updated from the catalog')
}

/** Every catalog queue, its dead letter queue first (pg-boss refuses a deadLetter that does not exist). */
export async function ensureQueues(boss: PgBoss, catalog: Catalog, log: Logger): Promise<void> {
  for (const [name, def] of Object.entries(catalog)) {
    if (def.deadLetter) await ensureQueue(boss, dlqName(name), deadLetterQueueOptions(def), log)
    await ensureQueue(boss, name, queueOptions(name, def), log)
  }
}

const identifier = /^[a-z_][a-z0-9_]*$/

/** The schema name, checked because it is spliced into SQL text. */
export function checkedSchema(schema: string): string {
  if (!identifier.test(schema)) throw new Error(`pg-boss schema must match ${identifier}, got ${schema}`)
  return schema
}

/**
 * pg-boss never runs ANALYZE, and autovacuum skips partitioned parents; with stale statistics its
 * fetch plan degrades badly (measured 70x). ANALYZE on the parent also refreshes every partition.
 */
export async function analyzeJobs(boss: PgBoss, schema: string): Promise<void> {
  await boss.getDb().executeSql(`ANALYZE ${schema}.job`)
}

export type Counts = { waiting: number; active: number; completed: number; failed: number }

/** Exact counts straight from the job table: getQueueStats may serve figures up to a minute old. */
export async function countJobs(boss: PgBoss, schema: string, name: string): Promise<Counts> {
  const { rows } = await boss
    .getDb()
    .executeSql(
      `SELECT state::text AS state, count(*)::int AS n FROM ${schema}.job WHERE name = $1 GROUP BY state`,
      [name],
    )
  const by = Object.fromEntries(rows.map((r: { state: string; n: number }) => [r.state, r.n]))
  return {
    waiting: (by.created ?? 0) + (by.retry ?? 0),
    active: by.active ?? 0,
    completed: by.completed ?? 0,
    failed: by.failed ?? 0,
  }
}
