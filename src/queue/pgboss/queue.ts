import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { type SendOptions as BossSendOptions, fromDrizzle, PgBoss } from 'pg-boss'
import { errorSummary as summary } from '../../errors.ts'
import type { Logger } from '../../logger.ts'
import type { PgStore } from '../../store/pg/store.ts'
import type { Catalog, JobDef, Queue, SendOptions } from '../queue.port.ts'
import { jobDef, parseSendPayload } from '../run-handler.ts'
import { createLimiter } from './limiter.ts'
import { analyzeJobs, checkedSchema, countJobs, ensureQueues } from './queues.ts'
import { batchHandler } from './run-job.ts'
import { writeSchedule } from './schedules.ts'
import { bossOptions, defaultTiming, dlqName, pollSeconds, type Timing, workShape } from './settings.ts'

export type PgBossQueueOptions<C extends Catalog> = {
  /** pg-boss keeps its own pool (LISTEN needs a pinned connection); it may point at the store's database. */
  connectionString: string
  /** The store whose transactions `send({ tx })` joins; without it a tx cannot be joined. */
  store?: Pick<PgStore, 'txDb'>
  catalog: C
  log: Logger
  /** Default jobs at once per job type in this process. */
  concurrency: number
  pollMs: number
  schema?: string
  poolMax?: number
  timing?: Partial<Omit<Timing, 'pollMs'>>
  /** start() tries this often while the database is unreachable (1 s, doubling to 30 s between tries). */
  startAttempts?: number
  /** ANALYZE of the job table, beside pg-boss's own maintenance. */
  analyzeEveryMs?: number
}

// How much slower than the scout the other workers of one work() registration poll.
const SIBLING_POLL_FACTOR = 10

/** The Queue port on pg-boss 12: one exclusive queue per catalog entry, NOTIFY for latency, polling as the floor. */
export function createPgBossQueue<C extends Catalog>(opts: PgBossQueueOptions<C>): Queue<C> {
  const schema = checkedSchema(opts.schema ?? 'pgboss')
  const timing: Timing = { ...defaultTiming, ...opts.timing, pollMs: opts.pollMs }
  const log = opts.log.child({ component: 'queue', backend: 'pgboss' })
  const boss = new PgBoss(bossOptions(opts.connectionString, schema, opts.poolMax ?? 10, timing))
  // Without a listener an 'error' event (a dropped connection) would crash the process.
  boss.on('error', (err) => log.error({ err: errorSummary(err) }, 'pg-boss error'))
  // Warning data can carry SQL parameters (job payloads): log the type and message only.
  boss.on('warning', (w) => log.warn({ type: (w.data as { type?: string })?.type }, w.message))

  let starting: Promise<void> | null = null
  let started = false
  let analyzeTimer: NodeJS.Timeout | null = null

  const defOf = (name: string): JobDef => jobDef(opts.catalog, name)

  const runAnalyze = () =>
    analyzeJobs(boss, schema).catch((err) =>
      log.warn({ err: errorSummary(err) }, 'ANALYZE of pg-boss jobs failed'),
    )

  async function doStart(): Promise<void> {
    await boss.start({ attempts: opts.startAttempts ?? 10 })
    await ensureQueues(boss, opts.catalog, log)
    await runAnalyze()
    analyzeTimer = setInterval(runAnalyze, opts.analyzeEveryMs ?? 10 * 60_000)
    analyzeTimer.unref()
    started = true
    log.info({ queues: Object.keys(opts.catalog).length, schema }, 'pg-boss queue started')
  }

  function start(): Promise<void> {
    starting ??= doStart().catch((err) => {
      starting = null
      throw err
    })
    return starting
  }

  async function work(
    queueName: string,
    def: JobDef,
    handler: (p: never, ctx: never) => Promise<void>,
    n: number,
  ) {
    await start()
    const shape = workShape(n, def.batchSize)
    const handle = batchHandler(queueName, def, handler as never, log, createLimiter(shape.concurrency))
    const poll = pollSeconds(timing)
    const ids: string[] = []
    // One registration per worker, so each callback knows the worker it runs on (see the wake below).
    // Only the first worker (the scout) polls at `poll`; its siblings poll SIBLING_POLL_FACTOR times
    // slower. New jobs wake every worker by NOTIFY anyway, and a full batch (due retries or delayed
    // jobs found by the scout's poll) wakes the next sibling at once, so a backlog still drains in
    // parallel; an idle queue costs one fetch per poll instead of one per worker (measured: these
    // idle fetches were a fifth of a busy worker process's queries, bench/routing.bench.ts).
    for (let i = 0; i < shape.workers; i++) {
      let workerId: string | undefined
      const interval = i === 0 ? poll : poll * SIBLING_POLL_FACTOR
      workerId = await boss.work<unknown>(
        queueName,
        {
          batchSize: shape.batchSize,
          localConcurrency: 1,
          burstWhenBatchFull: true,
          perJobResults: true,
          pollingIntervalSeconds: interval,
          // On notify queues retries and delayed jobs wait for this poll, not for pollingIntervalSeconds.
          notifyPollingIntervalSeconds: interval,
        },
        async (jobs) => {
          // A full batch wakes the next sibling, which wakes its next if it also fills a batch: a
          // backlog fans out over the workers at one extra fetch per batch, not one per sibling.
          const next = ids[(ids.indexOf(workerId ?? '') + 1) % ids.length]
          if (jobs.length >= shape.batchSize && next && next !== workerId) boss.notifyWorker(next)
          const results = await handle(jobs)
          // burstWhenBatchFull ignores batchSize 1: wake this worker ourselves so a backlog drains without a poll.
          if (shape.batchSize === 1 && workerId) boss.notifyWorker(workerId)
          return results
        },
      )
      ids.push(workerId)
    }
  }

  return {
    kind: 'pgboss',
    start,

    async send(name, payload, sendOpts: SendOptions = {}) {
      const data = parseSendPayload(opts.catalog, name, payload) as object
      await start()
      const id = randomUUID()
      const options: BossSendOptions = {
        id,
        // Keyless jobs get their own key, else `exclusive` would allow one keyless job per queue.
        singletonKey: sendOpts.singletonKey ?? id,
      }
      if (sendOpts.startAfter) options.startAfter = sendOpts.startAfter
      if (sendOpts.tx) {
        if (!opts.store)
          throw new Error('send({ tx }) needs the PostgreSQL store passed to createPgBossQueue')
        options.db = fromDrizzle(opts.store.txDb(sendOpts.tx), sql)
      }
      return boss.send(name, data, options)
    },

    work: (name, handler, workOpts) =>
      work(name, defOf(name), handler as never, workOpts?.concurrency ?? opts.concurrency),

    workDeadLetters(name, handler) {
      const def = defOf(name)
      if (!def.deadLetter) throw new Error(`job ${name} has no dead letter queue`)
      return work(dlqName(name), def, handler as never, 1)
    },

    async schedule(name, cron, payload) {
      const data = parseSendPayload(opts.catalog, name, payload) as object
      await start()
      // Scheduled sends carry no key: the exclusive policy then allows one scheduled job waiting or running.
      await writeSchedule(boss, log, name, cron, data)
    },

    async counts(name) {
      defOf(name)
      await start()
      return countJobs(boss, schema, name)
    },

    async stop(stopOpts = {}) {
      if (analyzeTimer) clearInterval(analyzeTimer)
      analyzeTimer = null
      starting = null
      started = false
      await boss.stop({
        graceful: stopOpts.graceful ?? true,
        timeout: stopOpts.timeoutMs ?? 30_000,
        close: true,
      })
      log.info('pg-boss queue stopped')
    },

    async ping() {
      if (!started) throw new Error('pg-boss queue not started')
      await boss.getDb().executeSql('select 1')
    },
  }
}

/** Message and code only (pg errors can quote row values in `detail`), and the queue pg-boss names. */
function errorSummary(err: unknown) {
  return { ...summary(err), queue: (err as { queue?: string } | null)?.queue }
}
