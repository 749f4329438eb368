import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { describe, expect, onTestFinished, test } from 'vitest'
import { z } from 'zod'
import { createLogger } from '../../src/logger.ts'
import type { Catalog, Queue } from '../../src/queue/queue.port.ts'
import { PermanentJobError } from '../../src/queue/queue.port.ts'
import { insertJob, newJobRow } from '../../src/queue/sqlite/job-rows.ts'
import { createSqliteQueue } from '../../src/queue/sqlite/queue.ts'
import { createSqliteStore } from '../../src/store/sqlite/store.ts'
import { makeTestDatabase } from '../helpers/backends.ts'
import { contractCatalog } from './fixtures/contract-catalog.ts'
import { openSqliteQueue, sqliteFile } from './fixtures/sqlite-child-queue.ts'
import { deferred, sleep, waitFor } from './fixtures/wait.ts'
import { runQueueContract } from './queue.contract.ts'

const log = createLogger('silent')
const childModule = fileURLToPath(new URL('./fixtures/sqlite-child-queue.ts', import.meta.url))

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
})
