import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { parseConfig } from '../../src/config.ts'
import { createLogger, type Logger } from '../../src/logger.ts'
import type { Catalog, Queue } from '../../src/queue/queue.port.ts'
import type { Store } from '../../src/store/store.port.ts'
import type { NewOffice } from '../../src/store/store.types.ts'
import type { Figure } from '../lib/figures.ts'
import { percentile, sleep, waitUntil } from '../lib/stats.ts'

/** Sizes of one run; `npm run bench` keeps the whole thing under about three minutes on 2 cores. */
export const sizes = {
  /** Jobs per throughput round. */
  jobs: 2000,
  rounds: 5,
  warmupJobs: 200,
  /** Latency: steady rate for this long, the first second not counted. */
  latencyRate: 100,
  latencySeconds: 11,
  latencyWarmupSeconds: 1,
  drainTimeoutMs: 90_000,
  /** Finished jobs already in the SQLite table for the history round. */
  sqliteHistory: 20_000,
}

export const JOB = 'bench.job'

/** One job type with the catalog's default retry/lease rules; the payload is an id-like sequence number. */
export const benchCatalog = {
  [JOB]: {
    payload: z.object({ seq: z.number().int().nonnegative() }),
    retryLimit: 8,
    retryDelaySeconds: 5,
    retryBackoff: true,
    retryDelayMaxSeconds: 3600,
    expireInSeconds: 300,
    deadLetter: true,
  },
} satisfies Catalog

export type BenchQueue = Queue<typeof benchCatalog>

/** The worker settings the app runs with when nothing is configured (WORKER_CONCURRENCY, QUEUE_POLL_MS). */
export function productionQueueConfig(): { concurrency: number; pollMs: number } {
  return parseConfig({}).queue
}

/** The store pool size the app opens against PostgreSQL when PG_POOL_MAX is not set. */
export function productionPoolMax(url: string): number {
  const { db } = parseConfig({ DATABASE_URL: url })
  return db.kind === 'pg' ? db.poolMax : 10
}

/** Errors only, on stderr: the table owns stdout. */
export const benchLog = (): Logger => createLogger('error')

/** The business row each benchmarked send commits with: one office, unique code. */
export function officeRow(): NewOffice {
  const id = randomUUID()
  return {
    id,
    code: `b-${id}`,
    name: 'Bench office',
    efileEndpoint: null,
    inboxAddress: null,
    allowedSenders: [],
    routingRules: [],
  }
}

/** What the app does on a write that starts background work: one row and its job, one transaction. */
export function sendInTransaction(store: Store, queue: BenchQueue, seq: number): Promise<string | null> {
  return store.transaction(async (tx) => {
    await tx.offices.create(officeRow())
    return queue.send(JOB, { seq }, { tx })
  })
}

/** Sends n jobs one after the other, each in its own transaction; returns elapsed ms. */
export async function sendSequential(store: Store, queue: BenchQueue, n: number): Promise<number> {
  const t0 = performance.now()
  for (let seq = 0; seq < n; seq++) await sendInTransaction(store, queue, seq)
  return performance.now() - t0
}

/**
 * Starts a worker on jobs already waiting and returns the ms until all n are completed (handler ran
 * and the completion is recorded), or NaN when they were not done within the timeout.
 */
export async function drainWithWorker(queue: BenchQueue, n: number, concurrency: number): Promise<number> {
  let handled = 0
  const t0 = performance.now()
  await queue.work(
    JOB,
    async () => {
      handled++
    },
    { concurrency },
  )
  const ran = await waitUntil(() => handled >= n, sizes.drainTimeoutMs, 1)
  const recorded = ran && (await waitUntil(async () => (await queue.counts(JOB)).completed >= n, 10_000, 2))
  return recorded ? performance.now() - t0 : Number.NaN
}

export type LatencyResult = {
  p50: number
  p99: number
  max: number
  handled: number
  sent: number
  rate: number
}

/**
 * Sends at a steady rate (each send scheduled from the start time, so timer drift does not lower
 * the rate, and not waiting for the previous send) to a running worker; per job the time from
 * send returning (committed) to its handler starting.
 */
export async function measureLatency(
  store: Store,
  queue: BenchQueue,
  concurrency: number,
): Promise<LatencyResult> {
  const n = sizes.latencyRate * sizes.latencySeconds
  const skip = sizes.latencyRate * sizes.latencyWarmupSeconds
  const sentAt = new Float64Array(n).fill(Number.NaN)
  const startedAt = new Float64Array(n).fill(Number.NaN)
  let handled = 0
  await queue.work(
    JOB,
    async ({ seq }) => {
      startedAt[seq] = performance.now()
      handled++
    },
    { concurrency },
  )
  const sends: Promise<void>[] = []
  const t0 = performance.now() + 20
  let lastLaunch = t0
  for (let seq = 0; seq < n; seq++) {
    const wait = t0 + (seq * 1000) / sizes.latencyRate - performance.now()
    if (wait > 0.5) await sleep(wait)
    lastLaunch = performance.now()
    sends.push(
      sendInTransaction(store, queue, seq).then(() => {
        sentAt[seq] = performance.now()
      }),
    )
  }
  await Promise.all(sends)
  await waitUntil(() => handled >= n, 30_000, 5)
  const samples: number[] = []
  for (let seq = skip; seq < n; seq++) {
    const started = startedAt[seq] ?? Number.NaN
    // A job that never started counts as infinitely late; the NOTIFY can beat the COMMIT reply by a hair.
    samples.push(Number.isNaN(started) ? Number.POSITIVE_INFINITY : Math.max(0, started - (sentAt[seq] ?? 0)))
  }
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: percentile(samples, 100),
    handled,
    sent: n,
    rate: ((n - 1) * 1000) / (lastLaunch - t0),
  }
}

/** jobs per second from a count and elapsed ms. */
export const perSecond = (n: number, ms: number) => (n * 1000) / ms

/** p50 (with the target) and p99 of send → handler start. */
export function latencyFigures(backend: string, lat: LatencyResult, worker: string): Figure[] {
  const missing = lat.sent - lat.handled
  return [
    {
      name: `${backend} latency p50 (send → handler)`,
      value: lat.p50,
      unit: 'ms',
      target: { op: '<=', value: 10 },
      note:
        `${lat.sent} jobs at ${lat.rate.toFixed(1)} jobs/s, first ${sizes.latencyWarmupSeconds} s not counted, ${worker}` +
        (missing > 0 ? `; ${missing} jobs never started` : ''),
    },
    {
      name: `${backend} latency p99 (send → handler)`,
      value: lat.p99,
      unit: 'ms',
      note: `max ${lat.max.toFixed(1)} ms`,
    },
  ]
}
