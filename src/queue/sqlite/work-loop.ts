import type { Logger } from '../../logger.ts'
import type { SqliteStore } from '../../store/sqlite/store.ts'
import type { Handler, JobDef } from '../queue.port.ts'
import { runHandler } from '../run-handler.ts'
import { claimJobs, completeJob, failJob, type JobRow } from './job-rows.ts'

export type WorkLoopDeps = {
  store: SqliteStore
  /** The row name to claim: a job name or its dead letter queue. */
  name: string
  def: JobDef
  handler: Handler<unknown>
  concurrency: number
  pollMs: number
  log: Logger
  /** Called with a queue name that just received rows (dead letters) so its loops wake up. */
  notify: (name: string) => void
}

export type WorkLoop = {
  /** Looks for due jobs now instead of at the next poll. */
  wake(): void
  /** Stops claiming; graceful waits up to timeoutMs for running handlers, then aborts their signals. */
  stop(opts: { graceful: boolean; timeoutMs: number }): Promise<void>
}

type Running = { jobId: string; done: Promise<void>; abort: AbortController }

// Never spin: even when a job seems due right now, look again no sooner than this.
const MIN_SLEEP_MS = 5

/** One poll loop for one work() call: claims under the store lock, runs up to concurrency handlers. */
export function startWorkLoop(deps: WorkLoopDeps): WorkLoop {
  const running = new Set<Running>()
  const waker = createWaker()
  let stopping = false

  // Leases that ran out on their last attempt are failed at most once per poll interval: sweeping on
  // every wake-up (each send and each finished job) cost a statement per job under load.
  let sweptAt = Number.NEGATIVE_INFINITY

  async function loop() {
    while (!stopping) {
      let sleepMs = deps.pollMs
      const free = deps.concurrency - running.size
      const now = Date.now()
      const sweep = now - sweptAt >= deps.pollMs
      // Every slot busy and no sweep due: a finishing handler wakes the loop, nothing to ask the store.
      if (free > 0 || sweep) {
        try {
          const claimed = await deps.store.exec((db) => claimJobs(db, deps.name, free, now, sweep))
          if (sweep) sweptAt = now
          reportExhausted(deps, claimed.exhausted)
          for (const row of claimed.jobs) begin(row)
          // Slots left free: sleep until the next due job (or a wake-up), at most one poll interval.
          const idle = running.size < deps.concurrency
          if (idle && claimed.nextDueAt !== null) sleepMs = clamp(claimed.nextDueAt - Date.now(), deps.pollMs)
        } catch (err) {
          deps.log.error({ job: deps.name, error: errorMessage(err) }, 'queue claim failed')
        }
      }
      if (!stopping) await waker.sleep(sleepMs)
    }
  }

  function begin(row: JobRow) {
    // A job reclaimed after its lease while its older attempt still runs here: that attempt's timer
    // may fire a moment after the claim, so abort it now, before the newer attempt starts.
    for (const r of running) if (r.jobId === row.id) r.abort.abort(new Error('job lease expired'))
    const abort = new AbortController()
    const lease = setTimeout(() => abort.abort(new Error('job lease expired')), row.expire_ms)
    const entry: Running = { jobId: row.id, abort, done: Promise.resolve() }
    entry.done = runOne(deps, row, abort.signal).finally(() => {
      clearTimeout(lease)
      running.delete(entry)
      waker.wake()
    })
    running.add(entry)
  }

  const looping = loop()
  return {
    wake: waker.wake,
    async stop({ graceful, timeoutMs }) {
      stopping = true
      waker.wake()
      await looping
      if (graceful)
        await settleWithin(
          [...running].map((r) => r.done),
          timeoutMs,
        )
      for (const r of running) r.abort.abort(new Error('worker stopping'))
    },
  }
}

async function runOne(deps: WorkLoopDeps, row: JobRow, signal: AbortSignal): Promise<void> {
  const log = deps.log.child({ jobId: row.id, job: row.name, attempt: row.attempt })
  const job = { id: row.id, name: row.name, attempt: row.attempt, payload: parseJson(row.payload) }
  const outcome = await runHandler(deps.def, deps.handler, job, signal, log)
  try {
    if (outcome.ok) {
      const done = await deps.store.exec((db) => completeJob(db, row, Date.now()))
      if (done) log.debug('job completed')
      else log.warn('job finished after its lease was taken over; result not recorded')
      return
    }
    const failure = { ...outcome, retryDelayMaxSeconds: deps.def.retryDelayMaxSeconds }
    const res = await deps.store.exec((db) => failJob(db, row, failure, Date.now()))
    if (!res.recorded) log.warn({ error: outcome.message }, 'job failed after its lease was taken over')
    else if (res.retryAt !== null)
      log.warn({ error: outcome.message, retryAt: res.retryAt }, 'job failed; will retry')
    else log.error({ error: outcome.message, permanent: outcome.permanent }, 'job failed for good')
    if (res.deadLettered) deps.notify(res.deadLettered)
  } catch (err) {
    // The lease runs out and the job is delivered again: at least once, never lost.
    log.error({ error: errorMessage(err) }, 'could not record job result')
  }
}

function reportExhausted(deps: WorkLoopDeps, rows: JobRow[]) {
  for (const row of rows) {
    deps.log.error(
      { jobId: row.id, job: row.name, attempt: row.attempt },
      'job lease expired on its last attempt',
    )
    if (row.dead_letter) deps.notify(row.dead_letter)
  }
}

/** A sleep that a wake() cuts short; a wake() while awake makes the next sleep return at once. */
function createWaker() {
  let pending = false
  let cut: (() => void) | null = null
  return {
    wake() {
      pending = true
      cut?.()
    },
    async sleep(ms: number) {
      if (!pending) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms)
          function done() {
            clearTimeout(timer)
            cut = null
            resolve()
          }
          cut = done
        })
      }
      pending = false
    },
  }
}

async function settleWithin(promises: Promise<unknown>[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs)
  })
  await Promise.race([Promise.allSettled(promises), timeout])
  clearTimeout(timer)
}

const clamp = (ms: number, max: number) => Math.min(Math.max(ms, MIN_SLEEP_MS), max)
const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err))

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
