import type { z } from 'zod'
import type { Logger } from '../logger.ts'
import type { Tx } from '../store/store.port.ts'

/** How one job type behaves: payload schema (ids only, never content), retries, lease, dead letter. */
export type JobDef<S extends z.ZodType = z.ZodType> = {
  payload: S
  /** Retries after the first attempt. */
  retryLimit: number
  /** Delay before the first retry; doubles per retry when backoff is on (capped at retryDelayMaxSeconds). */
  retryDelaySeconds: number
  retryBackoff: boolean
  retryDelayMaxSeconds: number
  /** Lease: a job running longer (or whose worker died) is aborted and delivered again. */
  expireInSeconds: number
  /** Jobs that exhausted their retries are copied to `${name}.dlq`. */
  deadLetter: boolean
  /** Jobs one fetch claims (pg-boss; default from the concurrency; SQLite ignores it): waiting ones' leases run, so slow jobs want 1. */
  batchSize?: number
}

export type Catalog = Record<string, JobDef>
export type PayloadOf<C extends Catalog, N extends keyof C> = z.infer<C[N]['payload']>

export type SendOptions = {
  /** Enqueue inside this store transaction: the job exists exactly when the transaction commits. */
  tx?: Tx
  /** Earliest start. */
  startAfter?: Date
  /** While a job of this name with this key waits or runs, further sends are dropped (return null). */
  singletonKey?: string
}

export type JobContext = {
  id: string
  name: string
  /** 1 for the first delivery, 2 for the first retry, … */
  attempt: number
  /** Aborted when the lease expires or the worker stops: stop work and throw. */
  signal: AbortSignal
  log: Logger
}

export type Handler<P> = (payload: P, ctx: JobContext) => Promise<void>

/** A failure that retrying cannot fix: the job fails at once (and goes to its dead letter queue). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError'
}

export type WorkOptions = { concurrency?: number }

export interface Queue<C extends Catalog = Catalog> {
  readonly kind: 'sqlite' | 'pgboss'
  /** Starts the backend (creates queues, begins scheduling); idempotent. */
  start(): Promise<void>
  /** Enqueues a validated payload; returns the job id, or null when a singleton key deduped it. */
  send<N extends keyof C & string>(
    name: N,
    payload: PayloadOf<C, N>,
    opts?: SendOptions,
  ): Promise<string | null>
  /** Runs handler for jobs of name; payloads are validated against the catalog before the handler sees them. */
  work<N extends keyof C & string>(
    name: N,
    handler: Handler<PayloadOf<C, N>>,
    opts?: WorkOptions,
  ): Promise<void>
  /** Runs handler for jobs that exhausted their retries on name (its dead letter queue). */
  workDeadLetters<N extends keyof C & string>(name: N, handler: Handler<PayloadOf<C, N>>): Promise<void>
  /** Sends name with payload on a 5-field cron schedule (UTC); one job per slot across all instances. */
  schedule<N extends keyof C & string>(name: N, cron: string, payload: PayloadOf<C, N>): Promise<void>
  /** Counts of jobs by state for a name, for readiness, admin views and benchmarks. */
  counts(
    name: keyof C & string,
  ): Promise<{ waiting: number; active: number; completed: number; failed: number }>
  /** Stops fetching; graceful waits (up to timeoutMs) for running handlers, then aborts them. */
  stop(opts?: { graceful?: boolean; timeoutMs?: number }): Promise<void>
  /** Throws when the backend cannot be reached. */
  ping(): Promise<void>
}
