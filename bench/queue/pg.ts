import { randomUUID } from 'node:crypto'
import { PgBoss } from 'pg-boss'
import { createPgBossQueue } from '../../src/queue/pgboss/queue.ts'
import { createPgStore, type PgStore } from '../../src/store/pg/store.ts'
import { createPgDatabase } from '../../test/helpers/peers.ts'
import type { Figure } from '../lib/figures.ts'
import { median, progress } from '../lib/stats.ts'
import {
  type BenchQueue,
  benchCatalog,
  benchLog,
  drainWithWorker,
  latencyFigures,
  measureLatency,
  perSecond,
  productionPoolMax,
  productionQueueConfig,
  sendSequential,
  sizes,
} from './shared.ts'

const SCHEMA = 'pgboss'
const RAW_QUEUE = 'bench.raw'

/** Raw baseline for the send side: BEGIN; one single-row INSERT; COMMIT per row, on one pooled connection. */
async function rawInsertLoop(store: PgStore, n: number): Promise<number> {
  await store.pool.query(
    'CREATE TABLE IF NOT EXISTS bench_raw (id uuid PRIMARY KEY, name text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL)',
  )
  const client = await store.pool.connect()
  try {
    const t0 = performance.now()
    for (let seq = 0; seq < n; seq++) {
      await client.query('BEGIN')
      await client.query('INSERT INTO bench_raw (id, name, payload, created_at) VALUES ($1, $2, $3, now())', [
        randomUUID(),
        'bench.job',
        JSON.stringify({ seq }),
      ])
      await client.query('COMMIT')
    }
    return performance.now() - t0
  } finally {
    client.release()
  }
}

/** Raw pg-boss: boss.send ×n, then its own fetch(batchSize 50) + complete loop. */
async function rawBoss(
  boss: PgBoss,
  store: PgStore,
  n: number,
): Promise<{ sendMs: number; drainMs: number }> {
  const t0 = performance.now()
  for (let seq = 0; seq < n; seq++) await boss.send(RAW_QUEUE, { seq })
  const sendMs = performance.now() - t0
  await analyze(store)
  const t1 = performance.now()
  let done = 0
  for (;;) {
    const jobs = await boss.fetch(RAW_QUEUE, { batchSize: 50 })
    if (jobs.length === 0) break
    await boss.complete(
      RAW_QUEUE,
      jobs.map((j) => j.id),
    )
    done += jobs.length
  }
  const drainMs = performance.now() - t1
  if (done < n) throw new Error(`raw pg-boss drained ${done} of ${n} jobs`)
  return { sendMs, drainMs }
}

/** Fresh statistics before a drain, as the adapter's own periodic ANALYZE (and production maintenance) keeps them. */
const analyze = (store: PgStore) => store.pool.query(`ANALYZE ${SCHEMA}.job`)

function adapterQueue(store: PgStore, url: string): BenchQueue {
  const { concurrency, pollMs } = productionQueueConfig()
  return createPgBossQueue({
    store,
    connectionString: url,
    catalog: benchCatalog,
    log: benchLog(),
    concurrency,
    pollMs,
  })
}

type Round = {
  rawInsertMs: number
  sendMs: number
  drainMs: number
  rawSendMs: number
  rawDrainMs: number
}

async function throughputRound(store: PgStore, url: string, boss: PgBoss, n: number): Promise<Round> {
  const { concurrency } = productionQueueConfig()
  const rawInsertMs = await rawInsertLoop(store, n)
  const queue = adapterQueue(store, url)
  await queue.start()
  const sendMs = await sendSequential(store, queue, n)
  await analyze(store)
  const drainMs = await drainWithWorker(queue, n, concurrency)
  await queue.stop({ graceful: true, timeoutMs: 5000 })
  const raw = await rawBoss(boss, store, n)
  return { rawInsertMs, sendMs, drainMs, rawSendMs: raw.sendMs, rawDrainMs: raw.drainMs }
}

/** The pg-boss adapter on a fresh PostgreSQL database, against raw pg inserts and raw pg-boss. */
export async function benchPg(): Promise<Figure[]> {
  const db = await createPgDatabase('postkorb_bench')
  const store = createPgStore({ url: db.url, poolMax: productionPoolMax(db.url) })
  const boss = new PgBoss({
    connectionString: db.url,
    schema: SCHEMA,
    supervise: false,
    schedule: false,
    max: 4,
  })
  boss.on('error', (err) => process.stderr.write(`raw pg-boss error: ${err.message}\n`))
  try {
    await store.migrate()
    const version = (
      await store.pool.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version'])
    ).rows[0]?.v
    progress(`pg: PostgreSQL ${version}, database ${new URL(db.url).pathname.slice(1)}`)
    await boss.start()
    await boss.createQueue(RAW_QUEUE)
    const { concurrency, pollMs } = productionQueueConfig()

    progress(`pg: warm-up (${sizes.warmupJobs} jobs)`)
    await throughputRound(store, db.url, boss, sizes.warmupJobs)
    const rounds: Round[] = []
    for (let r = 1; r <= sizes.rounds; r++) {
      progress(`pg: throughput round ${r}/${sizes.rounds} (${sizes.jobs} jobs)`)
      rounds.push(await throughputRound(store, db.url, boss, sizes.jobs))
    }

    progress(`pg: latency, ${sizes.latencyRate} jobs/s for ${sizes.latencySeconds} s`)
    const queue = adapterQueue(store, db.url)
    await queue.start()
    const lat = await measureLatency(store, queue, concurrency)
    await queue.stop({ graceful: true, timeoutMs: 5000 })

    const n = sizes.jobs
    const med = (pick: (r: Round) => number) => ({
      value: median(rounds.map(pick)),
      samples: rounds.map(pick),
    })
    const how = `median of ${sizes.rounds} rounds × ${n} jobs after a ${sizes.warmupJobs}-job warm-up; PostgreSQL ${version}`
    const shape = `worker concurrency ${concurrency}, poll ${pollMs} ms (app defaults); ANALYZE ${SCHEMA}.job before each drain`
    return [
      {
        name: 'pg raw insert, 1 row per tx',
        ...med((r) => perSecond(n, r.rawInsertMs)),
        unit: 'rows/s',
        note: how,
      },
      {
        name: 'pg-boss adapter send (tx: office row + job)',
        ...med((r) => perSecond(n, r.sendMs)),
        unit: 'jobs/s',
      },
      {
        name: 'pg-boss adapter send ÷ raw pg insert',
        ...med((r) => r.rawInsertMs / r.sendMs),
        unit: '×',
        note: 'for reference: the adapter send writes two rows in a transaction of four round trips',
      },
      { name: 'raw pg-boss send (no tx)', ...med((r) => perSecond(n, r.rawSendMs)), unit: 'jobs/s' },
      {
        name: 'pg-boss adapter drain (work)',
        ...med((r) => perSecond(n, r.drainMs)),
        unit: 'jobs/s',
        note: shape,
      },
      {
        name: 'raw pg-boss drain (fetch 50 + complete)',
        ...med((r) => perSecond(n, r.rawDrainMs)),
        unit: 'jobs/s',
        note: `queue ${RAW_QUEUE} with pg-boss defaults (standard policy)`,
      },
      {
        name: 'pg-boss adapter drain ÷ raw pg-boss drain',
        ...med((r) => r.rawDrainMs / r.drainMs),
        unit: '×',
        target: { op: '>=', value: 0.5 },
        note: 'median of the per-round ratios',
      },
      {
        name: 'pg-boss adapter end-to-end (send+drain)',
        ...med((r) => perSecond(n, r.sendMs + r.drainMs)),
        unit: 'jobs/s',
      },
      ...latencyFigures('pg-boss', lat, shape.split(';')[0] ?? shape),
    ]
  } finally {
    await boss.stop({ graceful: false, close: true }).catch(() => undefined)
    await store.close()
    await db.drop()
  }
}
