import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import PDFDocument from 'pdfkit'
import sharp from 'sharp'
import { createApp } from '../src/app.ts'
import { type AppDeps, buildDeps } from '../src/deps.ts'
import { createLogger } from '../src/logger.ts'
import { WORKER_NODE_FLAGS } from '../src/node-flags.ts'
import { createSignedInCitizen, type SignedIn } from '../test/helpers/citizen.ts'
import { makeTestConfig, testClamdSocket } from '../test/helpers/config.ts'
import { createPgDatabase, pgUnavailableReason } from '../test/helpers/peers.ts'
import { createOffice } from '../test/helpers/staff.ts'
import { clamdReason, multipart } from '../test/http/attachments-fixtures.ts'
import { commandCpuMs, machineCpuMs, processCpuMs } from './lib/cpu.ts'
import type { Figure } from './lib/figures.ts'
import { percentile, progress, sleep, timeMs, waitUntil } from './lib/stats.ts'

/**
 * Issue 6 bench, part (b): text-only citizen messages sent through the API at a steady RATE per second
 * for SECONDS, routed by a default rule to a service-center queue, on PostgreSQL (pg-boss) with WORKERS
 * worker processes (`postkorb worker`). Latency is API send start → deliveries.delivered_at; the backlog
 * (messages not yet routed + deliveries not yet delivered) is sampled every second and must stay flat.
 * Part (a) (1 MiB PDFs through the upload check vs raw clamd) needs issue 5's scanner path: not here.
 */
const RATE = Number(process.env.ROUTING_BENCH_RATE ?? 100)
const SECONDS = Number(process.env.ROUTING_BENCH_SECONDS ?? 30)
const WORKERS = Number(process.env.ROUTING_BENCH_WORKERS ?? 2)
// WORKER_CONCURRENCY of each worker process (the production default is 4).
const CONCURRENCY = process.env.ROUTING_BENCH_CONCURRENCY ?? '4'
const CITIZENS = 50
const PARTS = (process.env.ROUTING_BENCH_PARTS ?? 'a,b').split(',')
const SCAN_MESSAGES = Number(process.env.ROUTING_BENCH_SCAN_MESSAGES ?? 60)
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.ts')

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = []
  if (PARTS.includes('a')) figures.push(...(await runScanPart()))
  if (PARTS.includes('b')) figures.push(...(await runQueuePart()))
  return figures
}

/**
 * Part (a): SCAN_MESSAGES messages with one distinct 1 MiB PDF each (uploaded beforehand), sent at
 * once; time from the first send to the last delivery, against the same files scanned straight by
 * clamd at the same concurrency (2 workers × WORKER_CONCURRENCY upload checks at a time).
 */
async function runScanPart(): Promise<Figure[]> {
  const name = 'routing (a): 1 MiB PDF messages send→delivered throughput ÷ raw clamd (pg, 2 workers)'
  const reason = (await pgUnavailableReason()) ?? clamdReason
  if (reason) return [{ name, value: Number.NaN, unit: '×', target: { op: '>=', value: 0.7 }, note: reason }]
  const db = await createPgDatabase('postkorb_bench')
  const config = makeTestConfig({
    DATABASE_URL: db.url,
    WORKER_CONCURRENCY: CONCURRENCY,
    CLAMD_SOCKET: testClamdSocket,
  })
  const deps: AppDeps = { ...buildDeps(config, createLogger('silent')), lifecycle: { draining: false } }
  const workers: ChildProcess[] = []
  try {
    await deps.store.migrate()
    await deps.queue.start()
    const office = await createOffice(deps)
    await deps.store.routing.setRules(
      office.id,
      [
        {
          id: 'r-default',
          name: 'SC',
          match: {},
          destinations: [{ kind: 'queue', queue: 'nachweise' }],
          isDefault: true,
        },
      ],
      null,
    )
    progress(`part (a): ${SCAN_MESSAGES} distinct 1 MiB PDFs`)
    const files = await Promise.all(Array.from({ length: SCAN_MESSAGES }, () => noisePdf()))
    const concurrency = WORKERS * Number(CONCURRENCY)
    const rawMs = await timeMs(() =>
      inParallel(files, concurrency, async (f) => {
        const v = await deps.scanner.scanStream(Readable.from([f]))
        if (v.verdict !== 'clean') throw new Error('noise PDF found infected')
      }),
    )
    const app = createApp(deps)
    // One citizen per message: a citizen may hold at most 20 unsent uploads.
    const ids: { id: string; who: SignedIn }[] = []
    for (const [i, f] of files.entries()) {
      const who = await createSignedInCitizen(deps, { officeId: office.id, customerNumber: `S${i}` })
      const { body, contentType } = multipart([
        { filename: 'nachweis.pdf', type: 'application/pdf', content: f },
      ])
      const res = await app.request('/v1/postbox/attachments', {
        method: 'POST',
        headers: who.headers({ 'Content-Type': contentType }),
        body,
      })
      if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`)
      ids.push({ id: ((await res.json()) as { id: string }).id, who })
    }
    for (let i = 0; i < WORKERS; i++) workers.push(startWorker(config))
    await settled(workers)
    const clamdPid = clamdPidOf(testClamdSocket)
    const cpuNow = () => {
      const own = process.cpuUsage()
      return {
        clamd: processCpuMs(clamdPid),
        workers: workers.reduce((a, w) => a + cpuMsOf(w), 0),
        api: (own.user + own.system) / 1000,
        postgres: commandCpuMs('postgres'),
        machine: machineCpuMs(),
      }
    }
    const cpu0 = cpuNow()
    const t0 = Date.now()
    const sent = await Promise.all(
      ids.map(async ({ id, who }, i) => {
        const res = await app.request('/v1/postbox/threads', {
          method: 'POST',
          headers: who.headers(),
          body: JSON.stringify({
            category: 'evidence',
            subject: `Nachweis ${i}`,
            body: 'anbei',
            attachmentIds: [id],
          }),
        })
        if (res.status !== 201) throw new Error(`send failed: ${res.status}`)
        return { messageId: ((await res.json()) as { messageId: string }).messageId, started: t0 }
      }),
    )
    const done = await waitUntil(
      async () => (await deliveredOf(deps, sent)).size === sent.length,
      300_000,
      100,
    )
    const cpu1 = cpuNow()
    const delivered = await deliveredOf(deps, sent)
    const perMessage = (k: 'clamd' | 'workers' | 'api' | 'postgres') =>
      Math.round((cpu1[k] - cpu0[k]) / sent.length)
    const busy = (cpu1.machine.busy - cpu0.machine.busy) / (cpu1.machine.total - cpu0.machine.total)
    const cpuNote = `CPU ms per message: clamd ${perMessage('clamd')}, both workers ${perMessage('workers')}, API and bench process ${perMessage('api')}, PostgreSQL ${perMessage('postgres')}; machine busy ${Math.round(busy * 100)} %; `
    const pipelineMs = Math.max(...delivered.values()) - t0
    const ratio = done ? rawMs / pipelineMs : Number.NaN
    const pool = (deps.store as unknown as { pool: import('pg').Pool }).pool
    const { rows } = await pool.query<{ check: number; route: number; deliver: number }>(
      `select percentile_cont(0.5) within group (order by extract(epoch from m.checked_at - m.created_at) * 1000) as check,
              percentile_cont(0.5) within group (order by extract(epoch from d.created_at - m.checked_at) * 1000) as route,
              percentile_cont(0.5) within group (order by extract(epoch from d.delivered_at - d.created_at) * 1000) as deliver
         from deliveries d join messages m on m.id = d.message_id`,
    )
    const st = rows[0]
    const stages = st
      ? `stage p50s: sent→checked ${Math.round(st.check)} ms, →routed ${Math.round(st.route)} ms, →delivered ${Math.round(st.deliver)} ms; `
      : ''
    return [
      {
        name,
        value: ratio,
        unit: '×',
        target: { op: '>=', value: 0.7 },
        note: `${stages}${cpuNote}files ${(files.reduce((a, f) => a + f.length, 0) / files.length / 1048576).toFixed(2)} MiB each; ${SCAN_MESSAGES} messages in ${(pipelineMs / 1000).toFixed(1)} s vs raw clamd ${(rawMs / 1000).toFixed(1)} s at concurrency ${concurrency}${done ? '' : '; NOT all delivered within 300 s'}`,
      },
    ]
  } finally {
    for (const w of workers) w.kill('SIGTERM')
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode === null ? w.once('exit', r) : r(null)))),
    )
    await deps.queue.stop({ graceful: false, timeoutMs: 1000 })
    await deps.store.close()
    await db.drop()
  }
}

// A one-page PDF around a 1 MiB noise image: distinct bytes per file, so clamd's cache of clean files never hits.
async function noisePdf(): Promise<Buffer> {
  const png = await sharp({
    create: {
      width: 620,
      height: 560,
      channels: 3,
      background: '#888',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .png({ compressionLevel: 1 })
    .toBuffer()
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ compress: false })
    const chunks: Buffer[] = []
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
    doc.text('Nachweis').image(png, { width: 400 })
    doc.end()
  })
}

async function inParallel<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
}

/** Part (b): text-only messages at a steady rate. */
async function runQueuePart(): Promise<Figure[]> {
  const reason = await pgUnavailableReason()
  if (reason) return [missing(reason)]
  const db = await createPgDatabase('postkorb_bench')
  const config = makeTestConfig({ DATABASE_URL: db.url, WORKER_CONCURRENCY: '4' })
  const deps: AppDeps = { ...buildDeps(config, createLogger('silent')), lifecycle: { draining: false } }
  const workers: ChildProcess[] = []
  try {
    await deps.store.migrate()
    await deps.queue.start()
    const office = await createOffice(deps)
    await deps.store.routing.setRules(
      office.id,
      [
        {
          id: 'r-default',
          name: 'SC',
          match: {},
          destinations: [{ kind: 'queue', queue: 'allgemein' }],
          isDefault: true,
        },
      ],
      null,
    )
    const citizens: SignedIn[] = []
    for (let i = 0; i < CITIZENS; i++)
      citizens.push(await createSignedInCitizen(deps, { officeId: office.id, customerNumber: `B${i}` }))
    for (let i = 0; i < WORKERS; i++) workers.push(startWorker(config))
    const app = createApp(deps)
    const send = async (i: number) => {
      const who = citizens[i % citizens.length] as SignedIn
      const started = Date.now()
      const res = await app.request('/v1/postbox/threads', {
        method: 'POST',
        headers: who.headers(),
        body: JSON.stringify({ category: 'general', subject: `Frage ${i}`, body: 'Wann ist mein Termin?' }),
      })
      if (res.status !== 201) throw new Error(`send failed: ${res.status} ${await res.text()}`)
      const { messageId } = (await res.json()) as { messageId: string }
      return { messageId, started }
    }

    progress(`warm-up: ${WORKERS} worker processes`)
    const warm = await Promise.all(Array.from({ length: 50 }, (_, i) => send(i)))
    if (!(await waitUntil(async () => (await deliveredOf(deps, warm)).size === warm.length, 60_000, 50)))
      throw new Error('workers did not deliver the warm-up messages')

    progress(`${RATE} messages/s for ${SECONDS} s`)
    const sent: { messageId: string; started: number }[] = []
    const backlog: number[] = []
    const total = RATE * SECONDS
    const t0 = performance.now()
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        backlog.push(await backlogOf(deps))
        await sleep(1000)
      }
    })()
    const cpu0 = { main: process.cpuUsage(), workers: workers.map(cpuMsOf) }
    const inflight: Promise<void>[] = []
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / RATE
      const wait = due - performance.now()
      if (wait > 1) await sleep(wait)
      inflight.push(send(i + 1000).then((s) => void sent.push(s)))
    }
    await Promise.all(inflight)
    const sendSeconds = (performance.now() - t0) / 1000
    const drained = await waitUntil(async () => (await backlogOf(deps)) === 0, 120_000, 100)
    sampling = false
    await sampler
    const delivered = await deliveredOf(deps, sent)
    const latencies = sent.map((s) => (delivered.get(s.messageId) ?? Number.POSITIVE_INFINITY) - s.started)
    const third = Math.max(1, Math.floor(backlog.length / 3))
    const early = average(backlog.slice(0, third))
    const late = average(backlog.slice(-third))
    const mainCpu = process.cpuUsage(cpu0.main)
    const workerCpu =
      workers.map(cpuMsOf).reduce((a, b) => a + b, 0) - cpu0.workers.reduce((a, b) => a + b, 0)
    const cpuNote = `CPU per message: API process ${((mainCpu.user + mainCpu.system) / 1000 / total).toFixed(1)} ms, workers ${(workerCpu / total).toFixed(1)} ms (PostgreSQL not counted)`
    const stages = await stagesOf(deps)
    // Every routing decision is in the hash chain, and the chain still verifies after the run.
    const chain = await deps.store.audit.verify()
    const chainNote = chain.ok ? `audit chain verified (${chain.entries} entries)` : 'audit chain BROKEN'
    const note = `stages p50: send→routed ${stages.route} ms, routed→delivered ${stages.deliver} ms; ${total} messages in ${sendSeconds.toFixed(1)} s (${(total / sendSeconds).toFixed(0)}/s offered), ${WORKERS} worker processes × WORKER_CONCURRENCY ${CONCURRENCY}, API in the bench process${drained ? '' : '; backlog NOT drained within 120 s'}; ${chainNote}`
    return [
      {
        name: `routing: text to queue, send→delivered p50 at ${RATE}/s (pg, ${WORKERS} workers)`,
        value: percentile(latencies, 50),
        unit: 'ms',
        target: { op: '<=', value: 50 },
        note,
      },
      {
        name: `routing: text to queue, send→delivered p99 at ${RATE}/s (pg, ${WORKERS} workers)`,
        value: percentile(latencies, 99),
        unit: 'ms',
        target: { op: '<=', value: 500 },
      },
      {
        name: 'routing: backlog, last third − first third of the run (mean)',
        value: late - early,
        unit: 'items',
        target: { op: '<=', value: 10 },
        samples: backlog,
        note: `max backlog ${Math.max(...backlog)}; sampled once a second; ${cpuNote}`,
      },
    ]
  } finally {
    for (const w of workers) w.kill('SIGTERM')
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode === null ? w.once('exit', r) : r(null)))),
    )
    await deps.queue.stop({ graceful: false, timeoutMs: 1000 })
    await deps.store.close()
    await db.drop()
  }
}

function startWorker(config: ReturnType<typeof makeTestConfig>): ChildProcess {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: config.db.kind === 'pg' ? config.db.url : '',
    DATA_DIR: config.dataDir,
    POSTKORB_KEYS: config.keys.inline ?? '',
    POSTKORB_INDEX_KEY: config.keys.indexKey ?? '',
    WORKER_CONCURRENCY: CONCURRENCY,
    CLAMD_SOCKET: config.scanner.socket ?? '',
    LOG_LEVEL: 'warn',
  }
  // ROUTING_BENCH_CPU_PROF=<dir>: each worker writes a V8 CPU profile there on exit.
  const prof = process.env.ROUTING_BENCH_CPU_PROF
  const pre = process.env.ROUTING_BENCH_WORKER_IMPORT
  const args = [
    ...WORKER_NODE_FLAGS,
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    ...(pre ? ['--import', pre] : []),
    cli,
    'worker',
  ]
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] })
  // A bench killed from outside must not leave its workers running against a dropped database.
  process.once('exit', () => child.kill('SIGKILL'))
  return child
}

const cpuMsOf = (child: ChildProcess): number => processCpuMs(child.pid ?? -1) || 0

// .ci/clamd.sh keeps clamd.pid beside the socket; another clamd (no pid file there) reports NaN.
function clamdPidOf(socket: string): number {
  try {
    return Number(readFileSync(path.join(path.dirname(socket), 'clamd.pid'), 'utf8'))
  } catch {
    return Number.NaN
  }
}

/**
 * Waits until the worker processes have started: loading the app's modules takes them several
 * seconds of CPU on this machine, which a fixed sleep let spill into the measured window.
 */
async function settled(workers: ChildProcess[]): Promise<void> {
  const until = Date.now() + 60_000
  let last = workers.map(cpuMsOf)
  await sleep(1000)
  while (Date.now() < until) {
    await sleep(500)
    const now = workers.map(cpuMsOf)
    // Idle: under 5 % of a core each over the last half second (pg-boss polls now and then).
    if (now.every((ms, i) => ms - (last[i] ?? 0) < (process.env.ROUTING_BENCH_CPU_PROF ? 150 : 25))) return
    last = now
  }
  throw new Error('workers still busy starting after 60 s')
}

async function deliveredOf(deps: AppDeps, sent: { messageId: string }[]): Promise<Map<string, number>> {
  if (deps.store.dialect !== 'pg') throw new Error('pg only')
  const pool = (deps.store as unknown as { pool: import('pg').Pool }).pool
  const ids = sent.map((s) => s.messageId)
  const { rows } = await pool.query<{ message_id: string; delivered_at: Date }>(
    `select message_id, delivered_at from deliveries where state = 'delivered' and message_id = any($1)`,
    [ids],
  )
  return new Map(rows.map((r) => [r.message_id, r.delivered_at.getTime()]))
}

async function backlogOf(deps: AppDeps): Promise<number> {
  const pool = (deps.store as unknown as { pool: import('pg').Pool }).pool
  const { rows } = await pool.query<{ n: string }>(
    `select (select count(*) from messages where state = 'submitted') + (select count(*) from deliveries where state <> 'delivered') as n`,
  )
  return Number(rows[0]?.n ?? 0)
}

// Medians of the two hops: message row written → delivery row written (message.route), → delivered (deliver.queue).
async function stagesOf(deps: AppDeps): Promise<{ route: number; deliver: number }> {
  const pool = (deps.store as unknown as { pool: import('pg').Pool }).pool
  const { rows } = await pool.query<{ route: number; deliver: number }>(
    `select percentile_cont(0.5) within group (order by extract(epoch from d.created_at - m.created_at) * 1000) as route,
            percentile_cont(0.5) within group (order by extract(epoch from d.delivered_at - d.created_at) * 1000) as deliver
       from deliveries d join messages m on m.id = d.message_id`,
  )
  return {
    route: Math.round(rows[0]?.route ?? Number.NaN),
    deliver: Math.round(rows[0]?.deliver ?? Number.NaN),
  }
}

const average = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length)

const missing = (reason: string): Figure => ({
  name: `routing: text to queue, send→delivered p50 at ${RATE}/s (pg, ${WORKERS} workers)`,
  value: Number.NaN,
  unit: 'ms',
  target: { op: '<=', value: 50 },
  note: reason,
})
