import { createServer, type Server, connect as tcpConnect } from 'node:net'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/logger.ts'
import { waitForPg } from '../../src/store/pg/connect.ts'
import { createPgStore } from '../../src/store/pg/store.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createPgDatabase, PG_ADMIN_URL, pgUnavailableReason } from '../helpers/peers.ts'
import { runStoreContract } from './store.contract.ts'

describeBackends('store contract', runStoreContract)

const pgReason = await pgUnavailableReason()

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { log: createLogger('debug', sink), lines }
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise((r) => server.close(r))
  return port
}

/** A TCP relay to the real PostgreSQL, so a test can decide when the database "comes up". */
async function relayToPg(port: number): Promise<Server> {
  const target = new URL(PG_ADMIN_URL)
  const server = createServer((inbound) => {
    const outbound = tcpConnect(Number(target.port || 5432), target.hostname)
    inbound.pipe(outbound).pipe(inbound)
    inbound.on('error', () => outbound.destroy())
    outbound.on('error', () => inbound.destroy())
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  return server
}

describe('PostgreSQL start-up and connection loss', () => {
  it('rejects ping on a refused connection instead of crashing the process', async () => {
    const store = createPgStore({
      url: `postgres://postkorb:s3cret@127.0.0.1:${await closedPort()}/x`,
      poolMax: 2,
    })
    await expect(store.ping()).rejects.toThrow(/ECONNREFUSED/)
    await store.close()
  })

  it('retries while PostgreSQL is unreachable, logs each retry without the password, then gives up', async () => {
    const { log, lines } = capturingLogger()
    const url = `postgres://postkorb:s3cret@127.0.0.1:${await closedPort()}/x`
    await expect(waitForPg(url, { attempts: 3, delayMs: 50, log })).rejects.toThrow(/after 3 attempt/)
    expect(lines).toHaveLength(2)
    expect(lines.join('')).not.toContain('s3cret')
    expect(lines.join('')).toContain('postkorb:***@127.0.0.1')
  })

  it.skipIf(pgReason !== null)('waits until PostgreSQL becomes reachable', async () => {
    const port = await closedPort()
    const { log, lines } = capturingLogger()
    const url = new URL(PG_ADMIN_URL)
    url.host = `127.0.0.1:${port}`
    const waiting = waitForPg(url.toString(), { attempts: 50, delayMs: 100, log })
    await sleep(350)
    const relay = await relayToPg(port)
    try {
      await expect(waiting).resolves.toBeUndefined()
      expect(lines.length).toBeGreaterThanOrEqual(2)
    } finally {
      relay.close()
    }
  })

  it.skipIf(pgReason !== null)(
    'fails at once for a database that does not exist (waiting cannot fix it)',
    async () => {
      const url = new URL(PG_ADMIN_URL)
      url.pathname = '/postkorb_does_not_exist'
      const started = Date.now()
      await expect(waitForPg(url.toString(), { attempts: 10, delayMs: 1000 })).rejects.toThrow(
        /after 1 attempt/,
      )
      expect(Date.now() - started).toBeLessThan(1000)
    },
  )

  it.skipIf(pgReason !== null)(
    'survives the server killing its idle connections and reconnects',
    async () => {
      const { url, drop } = await createPgDatabase()
      const { log, lines } = capturingLogger()
      const store = createPgStore({ url, poolMax: 3, log })
      try {
        await Promise.all([store.ping(), store.ping(), store.ping()])
        const admin = createPgStore({ url: PG_ADMIN_URL, poolMax: 1 })
        await admin.pool.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
          [new URL(url).pathname.slice(1)],
        )
        await admin.close()
        await sleep(100)
        expect(lines.some((l) => l.includes('pg idle client error'))).toBe(true)
        await expect(store.ping()).resolves.toBeUndefined()
      } finally {
        await store.close()
        await drop()
      }
    },
  )
})
