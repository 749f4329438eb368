import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, onTestFinished, test } from 'vitest'
import { z } from 'zod'
import { createLogger } from '../../src/logger.ts'
import type { Catalog, Queue } from '../../src/queue/queue.port.ts'
import { PermanentJobError } from '../../src/queue/queue.port.ts'
import { countJobs, insertJob, type JobRow, jobSql, newJobRow } from '../../src/queue/sqlite/job-rows.ts'
import { createSqliteQueue, type SqliteQueueDeps } from '../../src/queue/sqlite/queue.ts'
import { defaultRetention, deleteExpiredJobs } from '../../src/queue/sqlite/retention.ts'
import { rawConnection } from '../../src/queue/sqlite/statements.ts'
import { createSqliteStore } from '../../src/store/sqlite/store.ts'
import { makeTestDatabase } from '../helpers/backends.ts'
import { contractCatalog } from './fixtures/contract-catalog.ts'
import { openSqliteQueue, sqliteFile } from './fixtures/sqlite-child-queue.ts'
import { deferred, sleep, waitFor } from './fixtures/wait.ts'
import { runQueueContract } from './queue.contract.ts'

const log = createLogger('silent')
const childModule = fileURLToPath(new URL('./fixtures/sqlite-child-queue.ts', import.meta.url))
const moduleUrl = (rel: string) => new URL(rel, import.meta.url).href
const DAY = 24 * 3600_000

async function sqliteDatabase<C extends Catalog>(catalog: C) {
  const database = await makeTestDatabase('sqlite')
  const store = createSqliteStore(sqliteFile(database.url))
  await store.migrate()
  const queues: Queue<C>[] = []
  return {
    store,
    async openQueue() {
      const queue = await openSqliteQueue(store, catalog, log)
      queues.push(queue)
      return queue
    },
    child: { module: childModule, databaseUrl: database.url },
    async cleanup() {
      await Promise.all(queues.map((q) => q.stop({ graceful: false })))
      await store.close()
      await database.cleanup()
    },
  }
}

runQueueContract('queue contract [sqlite]', {
  timing: { retryDelaySeconds: 0.2, leaseSeconds: 1.5 },
  setup: sqliteDatabase,
})

describe('embedded SQLite queue', () => {
  const base = { retryDelaySeconds: 0.1, retryBackoff: false, retryDelayMaxSeconds: 1, deadLetter: true }
  const catalog = {
    ...contractCatalog({ retryDelaySeconds: 0.1, leaseSeconds: 0.3 }),
    'test.lastchance': { ...base, payload: z.object({ ref: z.uuid() }), retryLimit: 0, expireInSeconds: 0.3 },
  } satisfies Catalog

  async function open() {
    const db = await sqliteDatabase(catalog)
    onTestFinished(() => db.cleanup())
    return { db, queue: await db.openQueue() }
  }

  test('a late completion from an attempt whose lease was taken over does not overwrite the newer attempt', async () => {
    const { queue } = await open()
    const firstReturned = deferred<void>()
    const secondStarted = deferred<void>()
    let firstSawAbort = false
    await queue.work(
      'test.crash',
      async (_p, job) => {
        if (job.attempt === 1) {
          await secondStarted.promise
          firstSawAbort = job.signal.aborted
          firstReturned.resolve()
          return
        }
        secondStarted.resolve()
        await firstReturned.promise
        throw new PermanentJobError('the newer attempt decides')
      },
      { concurrency: 2 },
    )
    await queue.send('test.crash', { ref: randomUUID() })
    await waitFor(async () => (await queue.counts('test.crash')).failed === 1, 10_000)
    expect(firstSawAbort).toBe(true)
    expect(await queue.counts('test.crash')).toMatchObject({ completed: 0, failed: 1 })
  })

  test('a lease that runs out on the last attempt fails the job into its dead letter queue', async () => {
    const { queue } = await open()
    const dead: unknown[] = []
    const release = deferred<void>()
    onTestFinished(async () => release.resolve())
    await queue.work('test.lastchance', () => release.promise)
    await queue.workDeadLetters('test.lastchance', async (p) => void dead.push(p))
    const payload = { ref: randomUUID() }
    await queue.send('test.lastchance', payload)
    await waitFor(() => dead.length === 1, 10_000)
    expect(dead).toEqual([payload])
    release.resolve()
    await sleep(100)
    expect(await queue.counts('test.lastchance')).toMatchObject({ completed: 0, failed: 1, active: 0 })
  })

  test('a stored payload that no longer matches the catalog fails for good without reaching the handler', async () => {
    const { db, queue } = await open()
    const calls: unknown[] = []
    await queue.work('test.echo', async (p) => void calls.push(p))
    const row = newJobRow('test.echo', catalog['test.echo'], { ref: 'not-a-uuid', n: 1 }, {}, Date.now())
    await db.store.exec((d) => insertJob(d, row))
    await waitFor(async () => (await queue.counts('test.echo')).failed === 1, 5_000)
    expect(calls).toEqual([])
  })

  test('a job sent inside a transaction is claimed right after the commit, not at the next poll', async () => {
    const database = await makeTestDatabase('sqlite')
    const store = createSqliteStore(sqliteFile(database.url))
    await store.migrate()
    const queue = createSqliteQueue({ store, catalog, log, pollMs: 10_000 })
    onTestFinished(async () => {
      await queue.stop({ graceful: false })
      await store.close()
      await database.cleanup()
    })
    const ran: number[] = []
    await queue.work('test.echo', async () => void ran.push(Date.now()))
    await sleep(50)
    let committedAt = 0
    await store.transaction(async (tx) => {
      await queue.send('test.echo', { ref: randomUUID(), n: 1 }, { tx })
      await sleep(100)
      committedAt = Date.now()
    })
    await waitFor(() => ran.length === 1, 2_000)
    expect((ran[0] ?? 0) - committedAt).toBeLessThan(200)
  })

  async function openWith(opts: Partial<Omit<SqliteQueueDeps<typeof catalog>, 'store' | 'catalog' | 'log'>>) {
    const database = await makeTestDatabase('sqlite')
    const store = createSqliteStore(sqliteFile(database.url))
    await store.migrate()
    const queue = createSqliteQueue({ store, catalog, log, pollMs: 50, ...opts })
    onTestFinished(async () => {
      await queue.stop({ graceful: false })
      await store.close()
      await database.cleanup()
    })
    await queue.start()
    return { store, queue, url: database.url }
  }

  test('the claim searches the due index in both halves instead of scanning every job of the name', async () => {
    const { store } = await openWith({})
    const plan = await store.exec((db) =>
      rawConnection(db)
        .prepare(`EXPLAIN QUERY PLAN ${jobSql.claim}`)
        .all({ name: 'test.echo', now: Date.now(), limit: 1 }),
    )
    const details = (plan as { detail: string }[]).map((r) => r.detail)
    expect(
      details.filter((d) => d.startsWith('SEARCH queue_jobs USING INDEX queue_jobs_due_idx')),
    ).toHaveLength(2)
    expect(details.filter((d) => d.startsWith('SCAN queue_jobs'))).toEqual([])
  })

  test('retention deletes completed jobs after a day and failed jobs and dead letter copies after 14 days', async () => {
    const { store } = await openWith({})
    const t0 = Date.now() - 60_000
    const row = (name: string, state: JobRow['state'], finished: boolean): JobRow => ({
      ...newJobRow(name, catalog['test.echo'], { ref: randomUUID(), n: 1 }, {}, t0),
      state,
      attempt: 1,
      completed_at: finished ? t0 : null,
    })
    const rows = [
      row('test.echo', 'completed', true),
      row('test.echo', 'failed', true),
      row('test.echo', 'created', false),
      row('test.echo.dlq', 'created', false),
      row('test.echo.dlq', 'completed', true),
    ]
    await store.exec((db) => {
      for (const r of rows) insertJob(db, r)
    })
    const sweep = (now: number) => store.exec((db) => deleteExpiredJobs(db, defaultRetention, now, 500))
    const counts = (name: string) => store.exec((db) => countJobs(db, name))
    expect(await sweep(t0 + DAY - 1)).toBe(0)
    expect(await sweep(t0 + DAY + 1)).toBe(1)
    expect(await counts('test.echo')).toEqual({ waiting: 1, active: 0, completed: 0, failed: 1 })
    expect(await sweep(t0 + 14 * DAY - 1)).toBe(0)
    expect(await sweep(t0 + 14 * DAY + 1)).toBe(3)
    expect(await counts('test.echo')).toEqual({ waiting: 1, active: 0, completed: 0, failed: 0 })
    expect(await counts('test.echo.dlq')).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 })
    expect(await sweep(t0 + 365 * DAY)).toBe(0)
  })

  test('retention deletes in batches of at most the given size', async () => {
    const { store } = await openWith({})
    const t0 = Date.now() - 2 * DAY
    await store.exec((db) => {
      for (let n = 0; n < 1200; n++) {
        const r = newJobRow('test.echo', catalog['test.echo'], { ref: randomUUID(), n }, {}, t0)
        insertJob(db, { ...r, state: 'completed', attempt: 1, completed_at: t0 })
      }
    })
    const batches: number[] = []
    for (let i = 0; i < 4; i++) {
      batches.push(await store.exec((db) => deleteExpiredJobs(db, defaultRetention, Date.now(), 500)))
    }
    expect(batches).toEqual([500, 500, 200, 0])
  })

  test('the maintenance timer deletes finished jobs once their (here tiny) retention has passed', async () => {
    const { store, queue } = await openWith({
      completedRetentionMs: 300,
      failedRetentionMs: 1500,
      maintenanceEveryMs: 50,
    })
    await queue.work('test.echo', async () => undefined)
    await queue.work('test.flaky', async () => {
      throw new PermanentJobError('not allowed')
    })
    await queue.send('test.echo', { ref: randomUUID(), n: 1 })
    await queue.send('test.flaky', { ref: randomUUID() })
    await waitFor(async () => (await queue.counts('test.echo')).completed === 1, 5_000, 10)
    await waitFor(async () => (await queue.counts('test.flaky')).failed === 1, 5_000, 10)
    const deadLetters = () => store.exec((db) => countJobs(db, 'test.flaky.dlq'))
    await waitFor(async () => (await queue.counts('test.echo')).completed === 0, 5_000, 10)
    expect((await queue.counts('test.flaky')).failed).toBe(1)
    expect((await deadLetters()).waiting).toBe(1)
    await waitFor(async () => (await queue.counts('test.flaky')).failed === 0, 5_000, 10)
    await waitFor(async () => (await deadLetters()).waiting === 0, 5_000, 10)
  })

  test('jobs sent by another process start within milliseconds, long before the next poll', {
    timeout: 30_000,
  }, async () => {
    const { queue, url } = await openWith({ pollMs: 5000 })
    const latencies: number[] = []
    await queue.work('test.echo', async (p) => void latencies.push(Date.now() - p.n))
    await sleep(100)
    const count = 40
    // The sender: a second process with its own connection, stamping each payload with its send time.
    const sender = `
      import { randomUUID } from 'node:crypto'
      import { setTimeout as sleep } from 'node:timers/promises'
      import { createLogger } from ${JSON.stringify(moduleUrl('../../src/logger.ts'))}
      import { createSqliteQueue } from ${JSON.stringify(moduleUrl('../../src/queue/sqlite/queue.ts'))}
      import { createSqliteStore } from ${JSON.stringify(moduleUrl('../../src/store/sqlite/store.ts'))}
      import { contractCatalog } from ${JSON.stringify(moduleUrl('./fixtures/contract-catalog.ts'))}
      const store = createSqliteStore(${JSON.stringify(sqliteFile(url))})
      const catalog = contractCatalog({ retryDelaySeconds: 0.1, leaseSeconds: 0.3 })
      const queue = createSqliteQueue({ store, catalog, log: createLogger('silent'), pollMs: 5000 })
      for (let i = 0; i < ${count}; i++) {
        await queue.send('test.echo', { ref: randomUUID(), n: Date.now() })
        await sleep(23 + (i % 7) * 3)
      }
      await store.close()
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', sender], { stdio: 'inherit' })
    onTestFinished(() => void child.kill('SIGKILL'))
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
    await waitFor(() => latencies.length === count, 10_000)
    const sorted = [...latencies].sort((a, b) => a - b)
    const p50 = sorted[Math.floor(count / 2)] ?? Number.POSITIVE_INFINITY
    expect(p50).toBeLessThan(100)
    expect(sorted.at(-1)).toBeLessThan(1000)
  })
})
