import type { Logger } from '../../logger.ts'
import type { SqliteStore } from '../../store/sqlite/store.ts'
import type { Catalog, Handler, Queue, SendOptions } from '../queue.port.ts'
import { jobDef, parseSendPayload } from '../run-handler.ts'
import { createChangeWatch } from './change-watch.ts'
import { countJobs, deadLetterName, insertJob, type JobRow, newJobRow } from './job-rows.ts'
import { createRetentionSweep, defaultRetention } from './retention.ts'
import { createSchedules } from './schedules.ts'
import { startWorkLoop, type WorkLoop } from './work-loop.ts'

export type SqliteQueueDeps<C extends Catalog> = {
  store: SqliteStore
  catalog: C
  log: Logger
  /** How often an idle loop looks for due jobs sent by other processes. */
  pollMs: number
  /** Default handlers per work() call. */
  concurrency?: number
  /** While loops run, how often to check for commits by other processes (PRAGMA data_version); default 20. */
  changeCheckMs?: number
  /** Completed jobs are deleted this long after completion; default 1 day. */
  completedRetentionMs?: number
  /** Failed jobs and dead letter copies are kept this long for inspection; default 14 days. */
  failedRetentionMs?: number
  /** How often the retention sweep runs (also once at start); default 10 minutes. */
  maintenanceEveryMs?: number
}

/**
 * The embedded queue: jobs are rows of queue_jobs in the store's own SQLite file, written in the
 * caller's transaction and claimed with one UPDATE … RETURNING under a lease.
 */
export function createSqliteQueue<C extends Catalog>(deps: SqliteQueueDeps<C>): Queue<C> {
  const { store, catalog, log } = deps
  const loops = new Map<string, WorkLoop[]>()
  const schedules = createSchedules(sendScheduled, log)
  const changes = createChangeWatch(store, deps.changeCheckMs ?? 20, wakeAll)
  const retention = {
    completedMs: deps.completedRetentionMs ?? defaultRetention.completedMs,
    failedMs: deps.failedRetentionMs ?? defaultRetention.failedMs,
  }
  const sweep = createRetentionSweep(store, retention, deps.maintenanceEveryMs ?? 600_000, log)
  let stopped = false

  // In-process wake-up; a job sent in a transaction is claimed through the store lock, so after commit.
  function notify(name: string) {
    for (const loop of loops.get(name) ?? []) loop.wake()
  }

  // Another process committed: it may have sent jobs of any name.
  function wakeAll() {
    for (const list of loops.values()) for (const loop of list) loop.wake()
  }

  async function insert(row: JobRow, opts: SendOptions & { once?: boolean }): Promise<string | null> {
    const inserted = opts.tx
      ? insertJob(store.txDb(opts.tx), row, opts.once)
      : await store.exec((db) => insertJob(db, row, opts.once))
    if (inserted) notify(row.name)
    return inserted ? row.id : null
  }

  async function sendScheduled(name: string, payload: unknown, slotIso: string) {
    const row = newJobRow(
      name,
      jobDef(catalog, name),
      payload,
      { singletonKey: `cron:${name}:${slotIso}` },
      Date.now(),
    )
    const id = await insert(row, { once: true })
    if (id) log.info({ jobId: id, job: name, slot: slotIso }, 'scheduled job sent')
  }

  function addLoop(name: string, def: C[string], handler: Handler<unknown>, concurrency: number) {
    if (stopped) throw new Error('queue stopped: create a new queue to work again')
    const loop = startWorkLoop({ store, name, def, handler, concurrency, pollMs: deps.pollMs, log, notify })
    loops.set(name, [...(loops.get(name) ?? []), loop])
    changes.start()
  }

  return {
    kind: 'sqlite',
    async start() {
      if (stopped) return
      schedules.start()
      sweep.start()
    },
    async send(name, payload, opts = {}) {
      const def = jobDef(catalog, name)
      const parsed = parseSendPayload(catalog, name, payload)
      const row = newJobRow(name, def, parsed, opts, Date.now())
      return insert(row, opts)
    },
    async work(name, handler, opts = {}) {
      const concurrency = opts.concurrency ?? deps.concurrency ?? 1
      addLoop(name, jobDef(catalog, name) as C[string], handler as Handler<unknown>, concurrency)
    },
    async workDeadLetters(name, handler) {
      addLoop(deadLetterName(name), jobDef(catalog, name) as C[string], handler as Handler<unknown>, 1)
    },
    async schedule(name, cron, payload) {
      schedules.set(name, cron, parseSendPayload(catalog, name, payload))
    },
    counts: (name) => store.exec((db) => countJobs(db, name)),
    async stop(opts = {}) {
      stopped = true
      schedules.stop()
      await Promise.all([changes.stop(), sweep.stop()])
      const all = [...loops.values()].flat()
      loops.clear()
      const graceful = opts.graceful ?? true
      const timeoutMs = opts.timeoutMs ?? 30_000
      await Promise.all(all.map((loop) => loop.stop({ graceful, timeoutMs })))
    },
    ping: () => store.ping(),
  }
}
