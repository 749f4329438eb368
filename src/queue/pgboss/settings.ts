import type { Queue as BossQueue, ConstructorOptions } from 'pg-boss'
import type { JobDef } from '../queue.port.ts'

/** How fast pg-boss notices work: every knob that trades database chatter for latency. */
export type Timing = {
  /** Idle poll for due retries and delayed jobs (new jobs arrive by NOTIFY at once). */
  pollMs: number
  /** How often expired jobs (dead or overrunning workers) are found and put back for retry. */
  superviseSeconds: number
  /** How often cron schedules are evaluated; a cron job starts at most this late. */
  cronSeconds: number
  /** Retention sweep of finished jobs. */
  maintenanceSeconds: number
}

export const defaultTiming: Timing = {
  pollMs: 500,
  superviseSeconds: 5,
  cronSeconds: 10,
  maintenanceSeconds: 300,
}

export const dlqName = (name: string) => `${name}.dlq`

/** Constructor options; each name checked against pg-boss 12's types.d.ts (unknown names are ignored silently). */
export function bossOptions(
  connectionString: string,
  schema: string,
  poolMax: number,
  timing: Timing,
): ConstructorOptions {
  return {
    connectionString,
    schema,
    max: poolMax,
    application_name: 'postkorb-queue',
    useListenNotify: true,
    supervise: true,
    schedule: true,
    migrate: true,
    // Expiry runs inside the monitor pass, which needs both timers due: keep them equal.
    superviseIntervalSeconds: timing.superviseSeconds,
    monitorIntervalSeconds: timing.superviseSeconds,
    maintenanceIntervalSeconds: timing.maintenanceSeconds,
    cronMonitorIntervalSeconds: timing.cronSeconds,
    cronWorkerIntervalSeconds: Math.min(timing.cronSeconds, 2),
  }
}

/** Polling in seconds; pg-boss refuses anything under 0.5 s. */
export const pollSeconds = (timing: Timing) => Math.max(0.5, timing.pollMs / 1000)

/**
 * Queue options for one catalog entry. `exclusive` allows one job per (name, singleton key) while it
 * is created, retrying or active: exactly the port's singleton rule, once keyless sends get a key of their own.
 */
export function queueOptions(name: string, def: JobDef): Omit<BossQueue, 'name'> {
  return {
    policy: 'exclusive',
    ...retryOptions(def),
    ...(def.deadLetter ? { deadLetter: dlqName(name) } : {}),
    notify: true,
  }
}

/** The dead letter queue keeps the job's retry rules so its handler (an alert, a status change) retries too. */
export function deadLetterQueueOptions(def: JobDef): Omit<BossQueue, 'name'> {
  return { policy: 'standard', ...retryOptions(def), notify: true }
}

/**
 * pg-boss stores whole seconds (integers) and accepts retryDelayMax only with backoff on; a
 * sub-second catalog delay becomes 1 s here, which is as fast as pg-boss retries anyway.
 */
function retryOptions(def: JobDef) {
  return {
    retryLimit: def.retryLimit,
    retryDelay: Math.ceil(def.retryDelaySeconds),
    retryBackoff: def.retryBackoff,
    ...(def.retryBackoff ? { retryDelayMax: Math.ceil(def.retryDelayMaxSeconds) } : {}),
    expireInSeconds: Math.max(1, Math.ceil(def.expireInSeconds)),
  }
}

/** How one work() registration fetches: `workers` pg-boss workers claiming `batchSize` jobs per fetch. */
export type WorkShape = { workers: number; batchSize: number; concurrency: number }

/** pg-boss's own fetch(50) is the raw baseline; beyond it a batch only adds waiting time to leases. */
export const MAX_BATCH = 50
/** Measured: a fetch and a settle cost ~2 ms each, so batches of 10 drained at 0.36x fetch(50), 25 at ~0.6x. */
const MIN_BATCH = 25

/**
 * Fetching is decoupled from running: a shared limiter runs at most `concurrency` handlers across all
 * workers, so a batch can be larger than the concurrency (one fetch and one settle per batch). A
 * fetched job's lease already runs while it waits (up to workers x batchSize / concurrency handler
 * runs): fine for jobs of a few seconds; slow jobs set a small `batchSize` in the catalog.
 */
export function workShape(concurrency: number, batchSize?: number): WorkShape {
  const n = Math.max(1, Math.floor(concurrency))
  // Two workers: one fetches and settles while the other's batch runs, and one slow job cannot stall every slot.
  const minWorkers = Math.min(2, n)
  const batch =
    batchSize === undefined
      ? Math.min(MAX_BATCH, Math.max(MIN_BATCH, Math.ceil((4 * n) / minWorkers)))
      : Math.min(MAX_BATCH, Math.max(1, Math.floor(batchSize)))
  // Enough workers that their batches together can fill every slot (small catalog batch sizes).
  return { workers: Math.max(minWorkers, Math.ceil(n / batch)), batchSize: batch, concurrency: n }
}
