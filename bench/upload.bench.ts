import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildDeps } from '../src/deps.ts'
import { createLogger } from '../src/logger.ts'
import { SERVE_NODE_FLAGS } from '../src/node-flags.ts'
import { createClamdScanner } from '../src/scanner/clamd.ts'
import type { Scanner } from '../src/scanner/scanner.port.ts'
import { startServer } from '../src/server.ts'
import { createSignedInCitizen } from '../test/helpers/citizen.ts'
import { makeTestConfig, testClamdSocket } from '../test/helpers/config.ts'
import { createOffice } from '../test/helpers/staff.ts'
import type { Figure } from './lib/figures.ts'
import { median } from './lib/stats.ts'

/**
 * Upload through the API (issue 4): a 100 MiB file as a streamed multipart POST with fetch to the
 * app on @hono/node-server, SQLite store, real blob store. The server runs in a child process, so
 * its peak RSS growth is the server's alone, not the client's; the child samples it every 2 ms.
 */
const MiB = 1024 * 1024
const TOTAL = 100 * MiB
const PIECE = 64 * 1024
const ROUNDS = 3
const SELF = fileURLToPath(import.meta.url)
const CHILD_FLAG = '--upload-bench-server'

type Ready = { url: string; headers: Record<string, string>; scanner: 'clamd' | 'ping-only' }
type Round = { rssGrowthMiB: number }

/** A multipart body of `total` bytes in fresh 64 KiB pieces, made as the socket asks for them. */
function uploadBody(total: number) {
  const boundary = `----postkorbbench${Date.now()}`
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="gross.pdf"\r\n` +
      'Content-Type: application/pdf\r\n\r\n',
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  let sent = -1
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent < 0) {
          sent = 0
          return controller.enqueue(head)
        }
        if (sent >= total) {
          controller.enqueue(tail)
          return controller.close()
        }
        const n = Math.min(PIECE, total - sent)
        sent += n
        controller.enqueue(Buffer.allocUnsafe(n).fill(sent & 0xff))
      },
    },
    { highWaterMark: 0 },
  )
  return { body, contentType: `multipart/form-data; boundary=${boundary}` }
}

/** Starts the server child with extra V8 flags and runs ROUNDS uploads against it. */
async function measureVariant(execArgv: string[]) {
  const child = fork(SELF, [CHILD_FLAG], { execArgv: [...process.execArgv, ...execArgv], stdio: 'inherit' })
  const replies: ((m: unknown) => void)[] = []
  child.on('message', (m) => replies.shift()?.(m))
  const ask = <T>(message?: string) =>
    new Promise<T>((resolve, reject) => {
      replies.push((m) => resolve(m as T))
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)))
      if (message) child.send(message)
    })
  try {
    const ready = await ask<Ready>()
    const rates: number[] = []
    const growth: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      await ask('start')
      const { body, contentType } = uploadBody(TOTAL)
      const t0 = performance.now()
      const res = await fetch(`${ready.url}/v1/postbox/attachments`, {
        method: 'POST',
        headers: { ...ready.headers, 'Content-Type': contentType },
        body,
        duplex: 'half',
      } as RequestInit)
      const answer = (await res.json()) as { size?: number }
      const ms = performance.now() - t0
      if (res.status !== 201 || answer.size !== TOTAL) throw new Error(`upload answered ${res.status}`)
      rates.push(TOTAL / 1e6 / (ms / 1000))
      growth.push((await ask<Round>('stop')).rssGrowthMiB)
    }
    return { rates, growth, scanner: ready.scanner }
  } finally {
    child.kill()
  }
}

export async function run(): Promise<Figure[]> {
  // The server as `serve` runs in production (src/node-flags.ts), and with V8's defaults beside it.
  const served = await measureVariant([...SERVE_NODE_FLAGS])
  const defaults = await measureVariant([])
  const where = `${ROUNDS} rounds of 100 MiB in 64 KiB pieces, server in a fresh child process, SQLite, blobs under ${os.tmpdir()}`
  const scannerNote =
    served.scanner === 'clamd' ? 'clamd pinged per upload' : 'no clamd here: a ping-only scanner stands in'
  return [
    {
      name: 'upload via API: 100 MiB streamed multipart',
      value: median(served.rates),
      unit: 'MB/s',
      samples: served.rates,
      note: `${where}; ${scannerNote}; encrypt + write + fsync included`,
    },
    {
      name: 'upload via API: server peak RSS growth (100 MiB)',
      value: Math.max(...served.growth),
      unit: 'MiB',
      target: { op: '<=', value: 64 },
      samples: served.growth,
      note:
        `worst of ${ROUNDS} (the first, cold one is the worst: ${served.growth[0]?.toFixed(1)} MiB), RSS every 2 ms; ` +
        `server flags ${SERVE_NODE_FLAGS.join(' ')}; with V8's defaults: worst ${Math.max(...defaults.growth).toFixed(1)} MiB ` +
        `(${defaults.growth.map((g) => g.toFixed(0)).join('/')}) at ${median(defaults.rates).toFixed(0)} MB/s`,
    },
  ]
}

/** The child: the app on 127.0.0.1:0 with one signed-in citizen; reports RSS growth between start and stop. */
async function serveForBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postkorb-bench-upload-'))
  const clamdUp = await createClamdScanner({ socket: testClamdSocket }, 3000)
    .ping()
    .then(() => true)
    .catch(() => false)
  const config = makeTestConfig({
    DATA_DIR: dir,
    DATABASE_URL: `file:${path.join(dir, 'bench.db')}`,
    HOST: '127.0.0.1',
    MAX_UPLOAD_BYTES: String(TOTAL + MiB),
    CLAMD_SOCKET: clamdUp ? testClamdSocket : undefined,
  })
  const built = buildDeps(config, createLogger('silent'))
  // Without clamd the route would answer 503; the bench measures the upload path, not the scanner.
  const pingOnly: Scanner = { ping: async () => {}, scanStream: async () => ({ verdict: 'clean' }) }
  const deps = { ...built, scanner: clamdUp ? built.scanner : pingOnly, lifecycle: { draining: false } }
  await deps.store.migrate()
  const office = await createOffice(deps)
  const citizen = await createSignedInCitizen(deps, { level: 'code_verified', officeId: office.id })
  const server = await startServer(deps)
  let base = process.memoryUsage.rss()
  let peak = base
  setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 2).unref()
  process.on('message', (m) => {
    if (m === 'start') {
      base = process.memoryUsage.rss()
      peak = base
      process.send?.('started')
    } else if (m === 'stop') {
      peak = Math.max(peak, process.memoryUsage.rss())
      process.send?.({ rssGrowthMiB: (peak - base) / MiB } satisfies Round)
    }
  })
  const stop = async () => {
    await server.close(1000)
    await deps.store.close()
    rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop())
  process.on('disconnect', () => void stop())
  process.send?.({
    url: server.url,
    headers: citizen.headers(),
    scanner: clamdUp ? 'clamd' : 'ping-only',
  } satisfies Ready)
}

if (process.argv.includes(CHILD_FLAG)) await serveForBench()
