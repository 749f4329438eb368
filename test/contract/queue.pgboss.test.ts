import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createLogger } from '../../src/logger.ts'
import { createPgBossQueue } from '../../src/queue/pgboss/queue.ts'
import {
  type Catalog,
  type JobContext,
  type JobDef,
  PermanentJobError,
  type Queue,
} from '../../src/queue/queue.port.ts'
import { createPgStore, type PgStore } from '../../src/store/pg/store.ts'
import { createPgDatabase, pgUnavailableReason, requirePg } from '../helpers/peers.ts'
import { openPgBossQueue } from './fixtures/pgboss-child-queue.ts'
import { type QueueContractBackend, runQueueContract } from './queue.contract.ts'

const pgReason = await pgUnavailableReason()
if (pgReason && requirePg) throw new Error(`REQUIRE_PG=1 but ${pgReason}`)

const skipNote = pgReason ? ` (skipped: ${pgReason})` : ''

/**
 * pg-boss retries in whole seconds with random jitter (delay x [1, 2) growing x2): 2 s keeps the
 * suite's "gaps grow" check off the jitter (about 0.1 % overlap, against 0.4 % at 1 s).
 */
const pgBossBackend: QueueContractBackend = {
  timing: { retryDelaySeconds: 2, leaseSeconds: 3 },
  async setup(contractCatalog) {
    const db = await createPgDatabase()
    const store = createPgStore({ url: db.url, poolMax: 3 })
    await store.migrate()
    const opened: Queue[] = []
    const log = createLogger('silent')
    return {
      store,
      async openQueue() {
        const queue = await openPgBossQueue(db.url, contractCatalog, log, store)
        opened.push(queue)
        return queue
      },
      child: {
        module: fileURLToPath(new URL('./fixtures/pgboss-child-queue.ts', import.meta.url)),
        databaseUrl: db.url,
      },
      async cleanup() {
        for (const q of opened) await q.stop({ graceful: false, timeoutMs: 1000 })
        await store.close()
        await db.drop()
      },
    }
  },
}

describe.skipIf(pgReason !== null)(`queue contract [pgboss]${skipNote}`, () => {
  runQueueContract('pg-boss', pgBossBackend)
})

const payload = z.object({ n: z.number().int() })
const def = (over: Partial<Omit<JobDef, 'payload'>> = {}) => ({
  payload,
  retryLimit: 2,
  retryDelaySeconds: 1,
  retryBackoff: false,
  retryDelayMaxSeconds: 10,
  expireInSeconds: 30,
  deadLetter: true,
  ...over,
})
const catalog = { 'test.ping': def(), 'test.fragile': def({ retryLimit: 5 }) } satisfies Catalog

type Harness = { url: string; store: PgStore; queue: Queue<typeof catalog> }
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function harness(over: Partial<Parameters<typeof createPgBossQueue>[0]> = {}): Promise<Harness> {
  const db = await createPgDatabase()
  cleanups.push(db.drop)
  const store = createPgStore({ url: db.url, poolMax: 4 })
  cleanups.push(() => store.close())
  await store.migrate()
  const queue = createPgBossQueue({
    connectionString: db.url,
    store,
    catalog,
    log: createLogger('silent'),
    concurrency: 2,
    pollMs: 500,
    timing: { superviseSeconds: 1 },
    ...over,
  })
  cleanups.push(() => queue.stop({ graceful: false, timeoutMs: 1000 }))
  await queue.start()
  return { url: db.url, store, queue }
}

/** Resolves with each delivery as the handler sees it. */
function collector() {
  const seen: Array<{ n: number; ctx: JobContext; at: number }> = []
  const waiters: Array<() => void> = []
  return {
    seen,
    handler: async (p: { n: number }, ctx: JobContext) => {
      seen.push({ n: p.n, ctx, at: Date.now() })
      for (const w of waiters.splice(0)) w()
    },
    async until(count: number, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs
      while (seen.length < count && Date.now() < deadline) {
        await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(50)])
      }
      return seen.length >= count
    },
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

/** A TCP relay to the real PostgreSQL on port, so a test decides when the database "comes up". */
async function relayTo(target: URL, port: number): Promise<{ server: Server; close(): void }> {
  const sockets = new Set<Socket>()
  const server = createServer((inbound) => {
    const outbound = tcpConnect(Number(target.port || 5432), target.hostname)
    for (const s of [inbound, outbound]) {
      sockets.add(s)
      s.on('error', () => undefined)
      s.on('close', () => sockets.delete(s))
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  return {
    server,
    close() {
      server.close()
      for (const s of sockets) s.destroy()
    },
  }
}

describe.skipIf(pgReason !== null)(
  `pg-boss queue adapter${pgReason ? ` (skipped: ${pgReason})` : ''}`,
  () => {
    it('leaves no job behind when the store transaction that sent it rolls back', async () => {
      const { store, queue } = await harness()
      await expect(
        store.transaction(async (tx) => {
          const id = await queue.send('test.ping', { n: 1 }, { tx })
          expect(id).toEqual(expect.any(String))
          throw new Error('roll back')
        }),
      ).rejects.toThrow('roll back')
      expect(await queue.counts('test.ping')).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 })

      await store.transaction(async (tx) => {
        await queue.send('test.ping', { n: 2 }, { tx })
      })
      expect((await queue.counts('test.ping')).waiting).toBe(1)
    })

    it('delivers a freshly sent job to an idle worker within a second through NOTIFY', async () => {
      // A 5 s poll: only NOTIFY can bring the job within the second.
      const { queue } = await harness({ pollMs: 5000 })
      const c = collector()
      await queue.work('test.ping', c.handler)
      await sleep(300) // the worker's first (empty) fetch has passed; it now sleeps until notified
      const sentAt = Date.now()
      await queue.send('test.ping', { n: 7 })
      expect(await c.until(1, 1000)).toBe(true)
      expect((c.seen[0]?.at ?? Number.POSITIVE_INFINITY) - sentAt).toBeLessThan(1000)
      expect(c.seen[0]?.ctx.attempt).toBe(1)
    })

    it('does not dedupe sends without a singleton key, although the queues use the exclusive policy', async () => {
      const { queue } = await harness()
      const ids = await Promise.all([1, 2, 3].map((n) => queue.send('test.ping', { n })))
      expect(new Set(ids).size).toBe(3)
      expect(ids.every((id) => typeof id === 'string')).toBe(true)
      expect(await queue.send('test.ping', { n: 4 }, { singletonKey: 'k' })).toEqual(expect.any(String))
      expect(await queue.send('test.ping', { n: 5 }, { singletonKey: 'k' })).toBeNull()
      expect((await queue.counts('test.ping')).waiting).toBe(4)
    })

    it('sends a PermanentJobError straight to the dead letter queue after one attempt', async () => {
      const { queue } = await harness()
      const attempts: number[] = []
      await queue.work('test.fragile', async (_p, ctx) => {
        attempts.push(ctx.attempt)
        throw new PermanentJobError('cannot ever work')
      })
      const dead = collector()
      await queue.workDeadLetters('test.fragile', dead.handler)
      await queue.send('test.fragile', { n: 9 })
      expect(await dead.until(1, 5000)).toBe(true)
      expect(dead.seen[0]?.n).toBe(9)
      expect(attempts).toEqual([1])
      expect(await queue.counts('test.fragile')).toMatchObject({ waiting: 0, active: 0, failed: 1 })
    })

    it('brings an existing queue to changed catalog options on the next start', async () => {
      const { url, queue } = await harness()
      await queue.stop()
      const changed = { ...catalog, 'test.ping': def({ retryLimit: 7, expireInSeconds: 99 }) }
      const again = createPgBossQueue({
        connectionString: url,
        catalog: changed,
        log: createLogger('silent'),
        concurrency: 1,
        pollMs: 500,
      })
      cleanups.push(() => again.stop({ graceful: false }))
      await again.start()
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      const { rows } = await client.query(
        "select retry_limit, expire_seconds, policy, dead_letter from pgboss.queue where name = 'test.ping'",
      )
      await client.end()
      expect(rows[0]).toEqual({
        retry_limit: 7,
        expire_seconds: 99,
        policy: 'exclusive',
        dead_letter: 'test.ping.dlq',
      })
    })

    it('writes a cron schedule before schedule() returns, and rejects a bad expression to the caller', async () => {
      const { url, queue } = await harness()
      await queue.schedule('test.ping', '*/5 * * * *', { n: 3 })
      await queue.schedule('test.ping', '*/5 * * * *', { n: 3 })
      await expect(queue.schedule('test.ping', 'not a cron', { n: 3 })).rejects.toThrow()
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      const { rows } = await client.query('select name, cron, timezone, data from pgboss.schedule')
      await client.end()
      expect(rows).toEqual([{ name: 'test.ping', cron: '*/5 * * * *', timezone: 'UTC', data: { n: 3 } }])
    })

    it('keeps the job table analysed from the start', async () => {
      const { url } = await harness()
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      const { rows } = await client.query(
        "select count(*)::int as n from pg_stat_all_tables where schemaname = 'pgboss' and relname like 'job%' and last_analyze is not null",
      )
      await client.end()
      expect(rows[0].n).toBeGreaterThan(0)
    })

    it('keeps retrying start() while PostgreSQL is unreachable and starts once it answers', async () => {
      const db = await createPgDatabase()
      cleanups.push(db.drop)
      const port = await freePort()
      const viaRelay = new URL(db.url)
      viaRelay.host = `127.0.0.1:${port}`
      const queue = createPgBossQueue({
        connectionString: viaRelay.toString(),
        catalog,
        log: createLogger('silent'),
        concurrency: 1,
        pollMs: 500,
        startAttempts: 5,
      })
      let settled = false
      const starting = queue.start().finally(() => {
        settled = true
      })
      starting.catch(() => undefined)
      await sleep(1500)
      expect(settled).toBe(false)
      const relay = await relayTo(new URL(db.url), port)
      cleanups.push(async () => relay.close())
      cleanups.push(() => queue.stop({ graceful: false, timeoutMs: 1000 }))
      await expect(starting).resolves.toBeUndefined()
      await expect(queue.ping()).resolves.toBeUndefined()
    })
  },
)
