import { randomUUID } from 'node:crypto'
import { describe, type ExpectStatic, test } from 'vitest'
import type { Queue } from '../../src/queue/queue.port.ts'
import { PermanentJobError } from '../../src/queue/queue.port.ts'
import type { Store } from '../../src/store/store.port.ts'
import { type ContractCatalog, type ContractTiming, contractCatalog } from './fixtures/contract-catalog.ts'
import { deferred, sleep, waitFor } from './fixtures/wait.ts'
import { killWorkerChild, spawnWorkerChild } from './fixtures/worker-child-process.ts'

/** One fresh database for one test, with its store and the queues opened on it. */
export type QueueContractDb = {
  store: Store
  /** Opens and starts another queue instance on this database, as one more worker would. */
  openQueue(): Promise<Queue<ContractCatalog>>
  /** For the killed-worker test: a module exporting openChildQueue (ChildQueueModule) and the database URL. */
  child: { module: string; databaseUrl: string }
  /** Stops every queue it opened, closes the store and drops the database. */
  cleanup(): Promise<void>
}

/** A queue backend under test: the timings it can honour and a factory of fresh databases. */
export type QueueContractBackend = {
  timing: ContractTiming
  setup(catalog: ContractCatalog): Promise<QueueContractDb>
}

type Ctx = { expect: ExpectStatic; onTestFinished: (fn: () => Promise<void>) => void }

/**
 * The behaviour every queue backend must show. Tests run concurrently (the cron test waits for a
 * minute boundary), each on its own database from backend.setup; pg-boss wants whole seconds in timing.
 */
export function runQueueContract(title: string, backend: QueueContractBackend) {
  const catalog = contractCatalog(backend.timing)
  const delayMs = backend.timing.retryDelaySeconds * 1000
  const leaseMs = backend.timing.leaseSeconds * 1000
  const echo = (n = 1) => ({ ref: randomUUID(), n })
  const office = () => {
    const id = randomUUID()
    const code = `T${id.slice(0, 8)}`
    return {
      id,
      code,
      name: 'Contract office',
      efileEndpoint: null,
      inboxAddress: null,
      allowedSenders: [],
      routingRules: [],
    }
  }
  async function open(ctx: Ctx) {
    const db = await backend.setup(catalog)
    ctx.onTestFinished(() => db.cleanup())
    return { db, queue: await db.openQueue() }
  }

  describe.concurrent(title, () => {
    test('a job sent in a transaction that throws after an await leaves neither the job nor the row', async (ctx) => {
      const { expect } = ctx
      const { db, queue } = await open(ctx)
      const seen: unknown[] = []
      await queue.work('test.echo', async (p) => void seen.push(p))
      const row = office()
      const failing = db.store.transaction(async (tx) => {
        await tx.offices.create(row)
        await queue.send('test.echo', echo(), { tx })
        await sleep(50)
        throw new Error('abort after an await')
      })
      await expect(failing).rejects.toThrow('abort after an await')
      await sleep(500)
      expect(await db.store.offices.get(row.id)).toBeNull()
      expect(await queue.counts('test.echo')).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 })
      expect(seen).toEqual([])
    })

    test('a committed transaction has its job, which a worker sees only after the commit with the exact payload', async (ctx) => {
      const { expect } = ctx
      const { db, queue } = await open(ctx)
      const got: { payload: unknown; id: string; at: number }[] = []
      await queue.work(
        'test.echo',
        async (payload, job) => void got.push({ payload, id: job.id, at: Date.now() }),
      )
      const row = office()
      const payload = echo(7)
      let lastWriteAt = 0
      const jobId = await db.store.transaction(async (tx) => {
        await tx.offices.create(row)
        const id = await queue.send('test.echo', payload, { tx })
        await sleep(300)
        lastWriteAt = Date.now()
        return id
      })
      await waitFor(() => got.length === 1, 10_000)
      expect(got[0]).toMatchObject({ payload, id: jobId })
      expect(got[0]?.at).toBeGreaterThanOrEqual(lastWriteAt)
      expect(await db.store.offices.get(row.id)).toMatchObject({ id: row.id })
      await waitFor(async () => (await queue.counts('test.echo')).completed === 1, 5_000)
    })

    test('a payload that does not match the catalog is refused at send', async (ctx) => {
      const { expect } = ctx
      const { queue } = await open(ctx)
      await expect(queue.send('test.echo', { ref: randomUUID(), n: 'seven' } as never)).rejects.toThrow()
      await expect(queue.send('test.echo', { n: 1 } as never)).rejects.toThrow()
      await expect(queue.send('test.unknown' as never, {} as never)).rejects.toThrow()
      expect((await queue.counts('test.echo')).waiting).toBe(0)
    })

    test('a failing job is retried with growing delays and then lands in the dead letter queue', async (ctx) => {
      const { expect } = ctx
      const { queue } = await open(ctx)
      const attempts: { attempt: number; at: number }[] = []
      const dead: unknown[] = []
      await queue.work('test.flaky', async (_p, job) => {
        attempts.push({ attempt: job.attempt, at: Date.now() })
        throw new Error('the peer is still down')
      })
      await queue.workDeadLetters('test.flaky', async (p) => void dead.push(p))
      const payload = { ref: randomUUID() }
      await queue.send('test.flaky', payload)
      await waitFor(() => dead.length === 1, 20 * delayMs + 15_000)
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4])
      const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i]?.at ?? 0))
      for (const [i, gap] of gaps.entries()) {
        expect(gap).toBeGreaterThanOrEqual(delayMs - 20)
        if (i > 0) expect(gap).toBeGreaterThanOrEqual((gaps[i - 1] ?? 0) - 50)
      }
      expect(gaps[2]).toBeGreaterThanOrEqual(3 * delayMs)
      expect(dead).toEqual([payload])
      await waitFor(async () => (await queue.counts('test.flaky')).failed === 1, 5_000)
      expect(attempts).toHaveLength(4)
    })

    test('a PermanentJobError fails the job at once and sends it to the dead letter queue', async (ctx) => {
      const { expect } = ctx
      const { queue } = await open(ctx)
      const attempts: number[] = []
      const dead: unknown[] = []
      await queue.work('test.flaky', async (_p, job) => {
        attempts.push(job.attempt)
        throw new PermanentJobError('the file type is not allowed')
      })
      await queue.workDeadLetters('test.flaky', async (p) => void dead.push(p))
      const payload = { ref: randomUUID() }
      await queue.send('test.flaky', payload)
      await waitFor(() => dead.length === 1, 10_000)
      await sleep(3 * delayMs)
      expect(attempts).toEqual([1])
      expect(dead).toEqual([payload])
      expect((await queue.counts('test.flaky')).failed).toBe(1)
    })

    test('a worker process killed mid-job gets its job delivered again after the lease, and it completes once', async (ctx) => {
      const { expect } = ctx
      const { db, queue } = await open(ctx)
      const child = spawnWorkerChild(db.child, backend.timing)
      ctx.onTestFinished(async () => killWorkerChild(child))
      await child.line(/^ready$/, 20_000)
      const payload = { ref: randomUUID() }
      const jobId = await queue.send('test.crash', payload)
      const [, startedId] = await child.line(/^started (\S+) (\d+)$/, 20_000)
      const claimedAt = Date.now()
      expect(startedId).toBe(jobId)
      await killWorkerChild(child)

      const handled: { id: string; attempt: number; at: number; payload: unknown }[] = []
      await queue.work('test.crash', async (p, job) => {
        handled.push({ id: job.id, attempt: job.attempt, at: Date.now(), payload: p })
      })
      await waitFor(() => handled.length === 1, leaseMs + 20_000)
      expect(handled[0]).toMatchObject({ id: jobId, payload })
      expect(handled[0]?.attempt).toBeGreaterThanOrEqual(2)
      expect(handled[0]?.at).toBeGreaterThanOrEqual(claimedAt + leaseMs - 250)
      await waitFor(async () => (await queue.counts('test.crash')).completed === 1, 5_000)
      await sleep(1000)
      expect(handled).toHaveLength(1)
      expect(await queue.counts('test.crash')).toMatchObject({
        waiting: 0,
        active: 0,
        completed: 1,
        failed: 0,
      })
    })

    test('a handler that overruns its lease sees its signal abort and the job runs again', async (ctx) => {
      const { expect } = ctx
      const { queue } = await open(ctx)
      const runs: { attempt: number; abortedAfter: number | null }[] = []
      await queue.work(
        'test.crash',
        async (_p, job) => {
          if (job.attempt > 1) return void runs.push({ attempt: job.attempt, abortedAfter: null })
          const start = Date.now()
          const aborted = deferred<void>()
          job.signal.addEventListener('abort', () => aborted.resolve())
          await Promise.race([aborted.promise, sleep(leaseMs + 15_000)])
          runs.push({ attempt: job.attempt, abortedAfter: job.signal.aborted ? Date.now() - start : null })
          throw new Error('stopped because the lease expired')
        },
        { concurrency: 2 },
      )
      await queue.send('test.crash', { ref: randomUUID() })
      // The retry may record itself before the aborted first attempt gets the CPU back: wait for both.
      await waitFor(
        () => runs.some((r) => r.attempt > 1) && runs.some((r) => r.attempt === 1),
        leaseMs + 20_000,
      )
      const first = runs.find((r) => r.attempt === 1)
      expect(first?.abortedAfter).toBeGreaterThanOrEqual(leaseMs - 50)
      await waitFor(async () => (await queue.counts('test.crash')).completed === 1, 5_000)
    })

    test('a singleton key drops a second send while the first waits, and is free again after completion', async (ctx) => {
      const { expect } = ctx
      const { queue } = await open(ctx)
      const first = echo(1)
      const firstId = await queue.send('test.echo', first, { singletonKey: 'office-7' })
      expect(firstId).toEqual(expect.any(String))
      expect(await queue.send('test.echo', echo(2), { singletonKey: 'office-7' })).toBeNull()
      expect(await queue.send('test.echo', echo(3), { singletonKey: 'office-8' })).toEqual(expect.any(String))
      const seen: number[] = []
      await queue.work('test.echo', async (p) => void seen.push(p.n))
      await waitFor(async () => (await queue.counts('test.echo')).completed === 2, 10_000)
      expect(seen.sort()).toEqual([1, 3])
      const againId = await queue.send('test.echo', echo(4), { singletonKey: 'office-7' })
      expect(againId).toEqual(expect.any(String))
      expect(againId).not.toBe(firstId)
    })

    test('startAfter holds a job back until its time', async (ctx) => {
      const { expect } = ctx
      const { queue } = await open(ctx)
      const startAfter = new Date(Date.now() + 2000)
      const ran: number[] = []
      await queue.work('test.echo', async () => void ran.push(Date.now()))
      await queue.send('test.echo', echo(), { startAfter })
      await sleep(1000)
      expect(ran).toEqual([])
      await waitFor(() => ran.length === 1, 10_000)
      expect(ran[0]).toBeGreaterThanOrEqual(startAfter.getTime() - 50)
    })

    test('a worker runs handlers in parallel up to its concurrency and no further', async (ctx) => {
      const { expect } = ctx
      const { queue } = await open(ctx)
      for (let n = 0; n < 7; n++) await queue.send('test.echo', echo(n))
      let inFlight = 0
      let most = 0
      let done = 0
      await queue.work(
        'test.echo',
        async () => {
          inFlight++
          most = Math.max(most, inFlight)
          await sleep(400)
          inFlight--
          done++
        },
        { concurrency: 3 },
      )
      await waitFor(() => done === 7, 15_000)
      expect(most).toBe(3)
    })

    test('a cron schedule fires, once per slot even with two instances', {
      timeout: 150_000,
    }, async (ctx) => {
      const { expect } = ctx
      // Begin in the first half of a minute, so the slot that fires first (this one or the next) and
      // any duplicate of it are over well before another slot could fire.
      const second = new Date().getUTCSeconds()
      if (second >= 30) await sleep((61 - second) * 1000)
      const { db, queue } = await open(ctx)
      const other = await db.openQueue()
      const fired: unknown[] = []
      const record = async (payload: unknown) => void fired.push(payload)
      for (const q of [queue, other]) {
        await q.schedule('test.cron', '* * * * *', { tag: 'nightly-purge' })
        await q.work('test.cron', record)
      }
      await waitFor(() => fired.length > 0, 75_000)
      await sleep(5000)
      expect(fired).toEqual([{ tag: 'nightly-purge' }])
    })

    test('a graceful stop lets the running handler finish and leaves waiting jobs for the next worker', async (ctx) => {
      const { expect } = ctx
      const { db, queue } = await open(ctx)
      const started = deferred<void>()
      const finished: { n: number; abortedBeforeReturn: boolean }[] = []
      await queue.send('test.echo', echo(1))
      await queue.work(
        'test.echo',
        async (p, job) => {
          started.resolve()
          await sleep(800)
          finished.push({ n: p.n, abortedBeforeReturn: job.signal.aborted })
        },
        { concurrency: 1 },
      )
      await started.promise
      await queue.send('test.echo', echo(2))
      await queue.stop({ graceful: true, timeoutMs: 10_000 })
      expect(finished).toEqual([{ n: 1, abortedBeforeReturn: false }])
      expect(await queue.counts('test.echo')).toMatchObject({ waiting: 1, active: 0, completed: 1 })

      const next = await db.openQueue()
      const later: number[] = []
      await next.work('test.echo', async (p) => void later.push(p.n))
      await waitFor(() => later.length === 1, 10_000)
      expect(later).toEqual([2])
    })

    test('stop aborts the signal of a handler still running when its timeout passes', async (ctx) => {
      const { expect } = ctx
      const { queue } = await open(ctx)
      const started = deferred<void>()
      const aborted = deferred<void>()
      await queue.work('test.echo', async (_p, job) => {
        job.signal.addEventListener('abort', () => aborted.resolve())
        started.resolve()
        await Promise.race([aborted.promise, sleep(20_000)])
        throw new Error('stopped')
      })
      await queue.send('test.echo', echo())
      await started.promise
      let abortedInTime = false
      void aborted.promise.then(() => {
        abortedInTime = true
      })
      await queue.stop({ graceful: true, timeoutMs: 300 })
      await sleep(500)
      expect(abortedInTime).toBe(true)
    })
  })
}
