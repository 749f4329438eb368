import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type Database from 'better-sqlite3'
import { insertJob, newJobRow } from '../../src/queue/sqlite/job-rows.ts'
import { createSqliteQueue } from '../../src/queue/sqlite/queue.ts'
import type { SqliteDb } from '../../src/store/sqlite/repos.ts'
import { createSqliteStore, type SqliteStore } from '../../src/store/sqlite/store.ts'
import type { Figure } from '../lib/figures.ts'
import { median, progress } from '../lib/stats.ts'
import {
  type BenchQueue,
  benchCatalog,
  benchLog,
  drainWithWorker,
  JOB,
  latencyFigures,
  measureLatency,
  perSecond,
  productionQueueConfig,
  sendSequential,
  sizes,
} from './shared.ts'

/**
 * Raw baseline on the same file and connection: one prepared single-row insert per transaction
 * (BEGIN IMMEDIATE … COMMIT, as the store does for a send), in a tight synchronous loop.
 */
function rawInsertLoop(raw: Database.Database, n: number): number {
  raw.exec(
    'CREATE TABLE IF NOT EXISTS bench_raw (id TEXT PRIMARY KEY, name TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL)',
  )
  const begin = raw.prepare('BEGIN IMMEDIATE')
  const commit = raw.prepare('COMMIT')
  const insert = raw.prepare('INSERT INTO bench_raw (id, name, payload, created_at) VALUES (?, ?, ?, ?)')
  const t0 = performance.now()
  for (let seq = 0; seq < n; seq++) {
    begin.run()
    insert.run(randomUUID(), 'bench.job', JSON.stringify({ seq }), Date.now())
    commit.run()
  }
  return performance.now() - t0
}

/** The better-sqlite3 connection under the store's drizzle handle (drizzle keeps it as $client). */
const rawHandle = (db: unknown) => (db as { $client: Database.Database }).$client

type Round = { rawMs: number; sendMs: number; drainMs: number }

/** A store on a fresh temp file, closed and deleted afterwards. */
async function withStore<T>(fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postkorb-bench-'))
  const store = createSqliteStore(path.join(dir, 'bench.db'))
  try {
    await store.migrate()
    return await fn(store)
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function newQueue(store: SqliteStore): BenchQueue {
  const { concurrency, pollMs } = productionQueueConfig()
  return createSqliteQueue({ store, catalog: benchCatalog, log: benchLog(), pollMs, concurrency })
}

/** Raw inserts, then n sends in transactions, then a worker draining them; all on one file. */
async function throughputRound(store: SqliteStore, n: number): Promise<Round> {
  const rawMs = await store.exec((db) => rawInsertLoop(rawHandle(db), n))
  const queue = newQueue(store)
  await queue.start()
  const sendMs = await sendSequential(store, queue, n)
  const drainMs = await drainWithWorker(queue, n, productionQueueConfig().concurrency)
  await queue.stop({ graceful: true, timeoutMs: 5000 })
  return { rawMs, sendMs, drainMs }
}

/**
 * Finished jobs stay in queue_jobs; this writes `count` completed rows (built by the adapter's own
 * row maker) in one transaction, so a round can show what a long-running installation's history costs.
 */
function seedFinishedJobs(db: SqliteDb, count: number): void {
  const raw = rawHandle(db)
  const now = Date.now()
  raw.exec('BEGIN IMMEDIATE')
  for (let seq = 0; seq < count; seq++) {
    const row = newJobRow(JOB, benchCatalog[JOB], { seq }, {}, now)
    insertJob(db, { ...row, state: 'completed', attempt: 1, completed_at: now })
  }
  raw.exec('COMMIT')
}

/** The embedded queue on temp SQLite files: throughput, overhead against raw inserts, latency. */
export async function benchSqlite(): Promise<Figure[]> {
  const { concurrency, pollMs } = productionQueueConfig()
  const n = sizes.jobs
  // Each round on a fresh file: the claim cost depends on how many finished jobs the table holds.
  progress(`sqlite: warm-up (${sizes.warmupJobs} jobs)`)
  await withStore((store) => throughputRound(store, sizes.warmupJobs))
  const rounds: Round[] = []
  for (let r = 1; r <= sizes.rounds; r++) {
    progress(`sqlite: throughput round ${r}/${sizes.rounds} (${n} jobs, fresh file)`)
    rounds.push(await withStore((store) => throughputRound(store, n)))
  }
  progress(`sqlite: ${n} jobs with ${sizes.sqliteHistory.toLocaleString('en-US')} finished jobs in the table`)
  const history = await withStore(async (store) => {
    await store.exec((db) => seedFinishedJobs(db, sizes.sqliteHistory))
    return throughputRound(store, n)
  })
  progress(`sqlite: latency, ${sizes.latencyRate} jobs/s for ${sizes.latencySeconds} s`)
  const lat = await withStore(async (store) => {
    const queue = newQueue(store)
    await queue.start()
    const result = await measureLatency(store, queue, concurrency)
    await queue.stop({ graceful: true, timeoutMs: 5000 })
    return result
  })

  const per = (pick: (r: Round) => number) => ({ value: median(rounds.map(pick)), samples: rounds.map(pick) })
  const rawMsPerJob = median(rounds.map((r) => r.rawMs / n))
  const queueMsPerJob = median(rounds.map((r) => (r.sendMs + r.drainMs) / n))
  const worker = `worker concurrency ${concurrency}, poll ${pollMs} ms (app defaults)`
  const historyDrain = perSecond(n, history.drainMs)
  return [
    {
      name: 'sqlite raw insert, 1 row per tx',
      ...per((r) => perSecond(n, r.rawMs)),
      unit: 'rows/s',
      note: `median of ${sizes.rounds} rounds × ${n} jobs, each on a fresh file, after a ${sizes.warmupJobs}-job warm-up`,
    },
    {
      name: 'sqlite queue send (tx: office row + job)',
      ...per((r) => perSecond(n, r.sendMs)),
      unit: 'jobs/s',
    },
    {
      name: 'sqlite queue drain (work: claim+complete)',
      ...per((r) => perSecond(n, r.drainMs)),
      unit: 'jobs/s',
      note: worker,
    },
    {
      name: 'sqlite queue end-to-end (send+drain)',
      ...per((r) => perSecond(n, r.sendMs + r.drainMs)),
      unit: 'jobs/s',
    },
    { name: 'sqlite queue send overhead per job', ...per((r) => (r.sendMs - r.rawMs) / n), unit: 'ms/job' },
    {
      name: 'sqlite queue overhead per job',
      value: queueMsPerJob - rawMsPerJob,
      samples: rounds.map((r) => (r.sendMs + r.drainMs - r.rawMs) / n),
      unit: 'ms/job',
      target: { op: '<=', value: 1 },
      note: `(send+drain) per job ${queueMsPerJob.toFixed(3)} ms − raw 1-row tx ${rawMsPerJob.toFixed(3)} ms`,
    },
    {
      name: `sqlite queue drain, ${sizes.sqliteHistory / 1000}k finished jobs kept`,
      value: historyDrain,
      unit: 'jobs/s',
      note: `one round; ${(historyDrain / median(rounds.map((r) => perSecond(n, r.drainMs)))).toFixed(2)}× the fresh-file drain`,
    },
    {
      name: `sqlite queue overhead, ${sizes.sqliteHistory / 1000}k finished jobs kept`,
      value: (history.sendMs + history.drainMs - history.rawMs) / n,
      unit: 'ms/job',
      target: { op: '<=', value: 1 },
      note: 'the SQLite queue keeps finished jobs; a busy installation reaches this history in days',
    },
    ...latencyFigures('sqlite', lat, worker),
  ]
}
