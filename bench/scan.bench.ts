import { fork, spawn, spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { newBlobKey } from '../src/blobs/blobs.port.ts'
import { citizenKey, sealForCitizen } from '../src/crypto/citizen-keys.ts'
import { buildDeps, type Deps } from '../src/deps.ts'
import { createLogger } from '../src/logger.ts'
import { WORKER_NODE_FLAGS } from '../src/node-flags.ts'
import { createSignedInCitizen } from '../test/helpers/citizen.ts'
import { makeTestConfig } from '../test/helpers/config.ts'
import { ownClamd } from '../test/helpers/own-clamd.ts'
import { createOffice } from '../test/helpers/staff.ts'
import { checkUpload } from '../workers/handlers/upload-check.handler.ts'
import { machineCpuMs, processCpuMs } from './lib/cpu.ts'
import type { Figure } from './lib/figures.ts'
import { median } from './lib/stats.ts'

/**
 * Upload-check throughput (issue 5): the same PDFs through the worker (embedded queue, SQLite,
 * encrypted blobs, type check, PDF scan, clamd INSTREAM) and through raw `clamdscan --stream`,
 * at the same concurrency, against one clamd of our own with `DisableCache yes` (repeats cost).
 */
const KiB = 1024
const MiB = 1024 * KiB
const CONCURRENCY = 4
const ROUNDS = Number(process.env.SCAN_BENCH_ROUNDS ?? 3)
const WARM_UP_FILES = 100
const SETS = [
  { label: '200 × 100 KiB', count: 200, size: 100 * KiB },
  { label: '20 × 5 MiB', count: 20, size: 5 * MiB },
]

/** A well-formed PDF of about `size` bytes: one uncompressed stream of random bytes (every file differs), no active content. */
function pdfOf(size: number): Buffer {
  const data = randomBytes(Math.max(0, size - 200))
  // No "/" in the payload: random bytes spell /JS now and then (about one 5 MiB file in 50), which the
  // PDF check rightly refuses as active content, and the bench then waits for a clean file for ever.
  for (let i = data.indexOf(0x2f); i >= 0; i = data.indexOf(0x2f, i + 1)) data[i] = 0x30
  return Buffer.concat([
    Buffer.from(
      `%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n2 0 obj << /Length ${data.length} >>\nstream\n`,
    ),
    data,
    Buffer.from('\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  ])
}

/**
 * The comparison lets clamd and the worker share every core. When clamd alone fills them in the
 * raw run, each CPU ms of the worker is taken from clamd. So the bench also runs with clamd pinned to
 * the last core and this process and clamdscan to the others, as when clamd is its own container (the
 * compose file): clamd has the same CPU in both runs, and the ratio shows the worker's own cost.
 */
type Pinning = { suffix: string; cpus: { clamd: string; client: string } | null }

const hasTaskset = spawnSync('taskset', ['-V']).status === 0

function pinningModes(): Pinning[] {
  const shared: Pinning = { suffix: '', cpus: null }
  const n = os.cpus().length
  if (n < 2 || !hasTaskset) return [shared]
  const client = n === 2 ? '0' : `0-${n - 2}`
  return [shared, { suffix: ' [clamd pinned to its own core]', cpus: { clamd: String(n - 1), client } }]
}

/** Sets the CPU affinity of clamd's and this process's threads (null: every core again). */
function pin(mode: Pinning, clamdPid: number): void {
  const all = `0-${os.cpus().length - 1}`
  const set = (cpus: string, pid: number) => {
    const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr}`)
  }
  if (!hasTaskset) return
  set(mode.cpus?.clamd ?? all, clamdPid)
  set(mode.cpus?.client ?? all, process.pid)
}

type PhaseCpu = { clamdMsPerFile: number; machineBusy: number }

/** Runs one phase and records clamd's CPU per file and the share of the machine's cores that were busy. */
async function measured(clamdPid: number, files: number, phase: () => Promise<unknown>, into: PhaseCpu[]) {
  const clamd0 = processCpuMs(clamdPid)
  const machine0 = machineCpuMs()
  await phase()
  const machine1 = machineCpuMs()
  into.push({
    clamdMsPerFile: (processCpuMs(clamdPid) - clamd0) / files,
    machineBusy: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
  })
}

const pct = (x: number) => `${Math.round(x * 100)} %`
const ceiling = (clamdMs: number, workerMs: number) => clamdMs / (clamdMs + workerMs)

/** Raw clamd: CONCURRENCY clamdscan processes, each streaming its share of the files one after another. */
async function rawClamdscan(conf: string, files: string[], mode: Pinning): Promise<number> {
  const lanes = Array.from({ length: CONCURRENCY }, (_, i) => files.filter((_, j) => j % CONCURRENCY === i))
  const t0 = performance.now()
  await Promise.all(
    lanes.map(
      (lane) =>
        new Promise<void>((resolve, reject) => {
          const args = ['-c', conf, '--stream', '--no-summary', ...lane]
          const p = mode.cpus
            ? spawn('taskset', ['-c', mode.cpus.client, 'clamdscan', ...args], { stdio: 'pipe' })
            : spawn('clamdscan', args, { stdio: 'pipe' })
          let out = ''
          p.stdout.on('data', (d) => {
            out += d
          })
          p.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`clamdscan exited ${code}: ${out.slice(0, 300)}`)),
          )
        }),
    ),
  )
  return (performance.now() - t0) / 1000
}

async function storeFiles(
  deps: Deps,
  citizen: Awaited<ReturnType<typeof createSignedInCitizen>>,
  contents: Buffer[],
) {
  const dek = citizenKey(deps.keyring, citizen.citizen)
  const ids: string[] = []
  for (const content of contents) {
    const id = randomUUID()
    const blobKey = newBlobKey()
    const { size } = await deps.blobs.put(blobKey, Readable.from([content]), { dek, blobId: id })
    await deps.store.attachments.create({
      id,
      citizenId: citizen.citizen.id,
      nameEnc: sealForCitizen(dek, 'attachments', id, 'name', 'nachweis.pdf'),
      declaredType: 'application/pdf',
      size,
      blobKey,
      createdAt: new Date(),
    })
    ids.push(id)
  }
  return ids
}

/** One timed worker run: jobs claimed before the clock starts wait at `open`; `finished` when every file is checked. */
type WorkerRun = { pending: Set<string>; open: Promise<void>; finish: () => void }

/**
 * Through the worker: one upload.check job per file, CONCURRENCY handlers, until every file is checked
 * (the caller then reads every outcome). The jobs are enqueued before the clock starts, as the API
 * enqueues them in production; raw clamdscan likewise starts with the files on disk.
 */
async function throughWorker(
  deps: Deps,
  ids: string[],
  setRun: (run: WorkerRun) => void,
  cpuMsPerFile: number[],
): Promise<number> {
  let open = () => {}
  let finish = () => {}
  const finished = new Promise<void>((resolve) => {
    finish = resolve
  })
  setRun({ pending: new Set(ids), open: new Promise((resolve) => (open = resolve)), finish })
  for (const attachmentId of ids) await deps.queue.send('upload.check', { attachmentId })
  const t0 = performance.now()
  // This process's CPU (all its threads) while only the worker runs in it: robust against other load.
  const cpu0 = process.cpuUsage()
  await profiling?.session.post('Profiler.start')
  open()
  await finished
  const cpu = process.cpuUsage(cpu0)
  if (profiling) {
    const { profile } = await profiling.session.post('Profiler.stop')
    const file = path.join(profiling.dir, `worker-${++profiling.written}.cpuprofile`)
    writeFileSync(file, JSON.stringify(profile))
  }
  cpuMsPerFile.push((cpu.user + cpu.system) / 1000 / ids.length)
  return (performance.now() - t0) / 1000
}

const SELF = fileURLToPath(import.meta.url)
const CHILD_FLAG = '--scan-bench-child'
// SCAN_BENCH_CPU_PROF=<dir>: a V8 CPU profile of each timed worker run (only those) is written there.
// Only the child runs the worker; the parent process never profiles.
const profileDir = process.argv.includes(CHILD_FLAG) ? process.env.SCAN_BENCH_CPU_PROF : undefined
const profiling = profileDir ? { dir: profileDir, session: new Session(), written: 0 } : null
if (profiling) {
  mkdirSync(profiling.dir, { recursive: true })
  profiling.session.connect()
  await profiling.session.post('Profiler.enable')
}

// SCAN_BENCH_DEFAULT_HEAP=1: the worker without WORKER_NODE_FLAGS, to see what the flags are worth.
const defaultHeap = process.env.SCAN_BENCH_DEFAULT_HEAP === '1'

/** Runs the bench in a child process with the worker's V8 flags, as `postkorb worker` runs in production. */
export function run(): Promise<Figure[]> {
  const execArgv = [...process.execArgv, ...(defaultHeap ? [] : WORKER_NODE_FLAGS)]
  const child = fork(SELF, [CHILD_FLAG], { execArgv, stdio: 'inherit' })
  return new Promise((resolve, reject) => {
    let figures: Figure[] | null = null
    child.once('message', (m) => {
      figures = m as Figure[]
    })
    child.once('exit', (code) =>
      figures && code === 0 ? resolve(figures) : reject(new Error(`scan bench child exited ${code}`)),
    )
  })
}

if (process.argv.includes(CHILD_FLAG)) {
  const figures = await runHere()
  const heap = defaultHeap ? 'V8 default heap sizing' : WORKER_NODE_FLAGS.join(' ')
  for (const f of figures) if (f.note) f.note += `; worker process: ${heap}`
  process.send?.(figures, () => process.exit(0))
}

async function runHere(): Promise<Figure[]> {
  const clamd = ownClamd({ CLAMD_DISABLE_CACHE: '1' })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postkorb-scan-bench-'))
  try {
    clamd.start()
    process.stderr.write('  bench clamd started (DisableCache yes)\n')
    const clamdPid = Number(readFileSync(path.join(clamd.dir, 'run', 'clamd.pid'), 'utf8'))
    const config = makeTestConfig({
      DATA_DIR: dir,
      CLAMD_SOCKET: clamd.socket,
      WORKER_CONCURRENCY: String(CONCURRENCY),
      QUEUE_POLL_MS: '50',
    })
    const deps = buildDeps(config, createLogger('silent'))
    await deps.store.migrate()
    await deps.queue.start()
    let run: WorkerRun | null = null
    const setRun = (next: WorkerRun) => {
      run = next
    }
    await deps.queue.work(
      'upload.check',
      async (payload, ctx) => {
        const current = run
        await current?.open
        await checkUpload(deps, payload, ctx)
        // Every outcome is read (and must be clean) after the round, outside the timed window.
        if (current?.pending.delete(payload.attachmentId) && current.pending.size === 0) current.finish()
      },
      { concurrency: CONCURRENCY },
    )
    const office = await createOffice(deps)
    const citizen = await createSignedInCitizen(deps, {
      level: 'code_verified',
      officeId: office.id,
      customerNumber: 'B1',
    })
    // One untimed round first: a production worker runs warm, and the first files through a fresh
    // process paid for compiling the check's code (worker CPU per file 2.4 ms in round 1 vs 1.9 ms after).
    const warm = Array.from({ length: WARM_UP_FILES }, () => pdfOf(100 * KiB))
    await throughWorker(deps, await storeFiles(deps, citizen, warm), setRun, [])
    process.stderr.write(`  warm-up: ${WARM_UP_FILES} files through the worker (not counted)\n`)
    const figures: Figure[] = []
    for (const mode of pinningModes()) {
      pin(mode, clamdPid)
      for (const set of SETS) {
        const worker: number[] = []
        const raw: number[] = []
        const cpuMs: number[] = []
        const rawCpu: PhaseCpu[] = []
        const workerCpu: PhaseCpu[] = []
        for (let round = 0; round < ROUNDS; round++) {
          const contents = Array.from({ length: set.count }, () => pdfOf(set.size))
          const files = contents.map((c, i) => {
            const file = path.join(dir, `f-${round}-${i}.pdf`)
            writeFileSync(file, c)
            return file
          })
          const ids = await storeFiles(deps, citizen, contents)
          process.stderr.write(`  ${set.label} round ${round + 1}: files stored\n`)
          const runRaw = () =>
            measured(
              clamdPid,
              set.count,
              async () => raw.push(await rawClamdscan(clamd.conf, files, mode)),
              rawCpu,
            )
          const runWorker = () =>
            measured(
              clamdPid,
              set.count,
              async () => worker.push(await throughWorker(deps, ids, setRun, cpuMs)),
              workerCpu,
            )
          // Alternate the order per round, so neither side always runs on a warmer clamd.
          if (round % 2 === 0) {
            await runRaw()
            await runWorker()
          } else {
            await runWorker()
            await runRaw()
          }
          process.stderr.write(
            `  ${set.label}${mode.suffix} round ${round + 1}: worker ${worker.at(-1)?.toFixed(2)} s (${cpuMs.at(-1)?.toFixed(2)} ms CPU/file), raw ${raw.at(-1)?.toFixed(2)} s\n`,
          )
          for (const f of files) rmSync(f)
          for (const id of ids) {
            const a = await deps.store.attachments.getForCheck(id)
            if (a?.scanState !== 'clean')
              throw new Error(`bench file not clean: ${a?.scanState} ${a?.scanDetail}`)
          }
        }
        const mb = (set.count * set.size) / 1e6
        const workerRates = worker.map((s) => set.count / s)
        const rawRates = raw.map((s) => set.count / s)
        const ratios = worker.map((s, i) => (raw[i] as number) / s)
        const note = `concurrency ${CONCURRENCY}, own clamd with DisableCache yes (2 signatures), SQLite + embedded queue, median of ${ROUNDS} rounds after an untimed warm-up of ${WARM_UP_FILES} files`
        figures.push(
          {
            name: `upload check worker ${set.label} (files/s)${mode.suffix}`,
            value: median(workerRates),
            unit: 'files/s',
            samples: workerRates,
            note,
          },
          {
            name: `upload check worker ${set.label} (MB/s)${mode.suffix}`,
            value: median(workerRates) * (mb / set.count),
            unit: 'MB/s',
          },
          {
            name: `upload check worker ${set.label} (CPU ms per file, worker process)${mode.suffix}`,
            value: median(cpuMs),
            unit: 'ms',
            samples: cpuMs,
          },
          {
            name: `raw clamdscan --stream ${set.label} (files/s)${mode.suffix}`,
            value: median(rawRates),
            unit: 'files/s',
            samples: rawRates,
          },
          {
            name: `raw clamdscan --stream ${set.label} (MB/s)${mode.suffix}`,
            value: median(rawRates) * (mb / set.count),
            unit: 'MB/s',
          },
          {
            name: `clamd CPU ms per file, raw clamdscan run ${set.label}${mode.suffix}`,
            value: median(rawCpu.map((c) => c.clamdMsPerFile)),
            unit: 'ms',
            samples: rawCpu.map((c) => c.clamdMsPerFile),
            note: `whole machine busy ${pct(median(rawCpu.map((c) => c.machineBusy)))} during the raw runs, ${pct(median(workerCpu.map((c) => c.machineBusy)))} during the worker runs (${os.cpus().length} cores)`,
          },
          {
            name: `clamd CPU ms per file, worker run ${set.label}${mode.suffix}`,
            value: median(workerCpu.map((c) => c.clamdMsPerFile)),
            unit: 'ms',
            samples: workerCpu.map((c) => c.clamdMsPerFile),
          },
          // Sharing the cores, when clamd alone fills them in the raw run, each CPU ms the worker spends is
          // taken from clamd: this bounds the ratio whatever the worker does with its time.
          ...(mode.cpus
            ? []
            : [
                {
                  name: `CPU-bound ceiling of the ratio, clamd ÷ (clamd + worker) CPU, ${set.label}`,
                  value: ceiling(median(rawCpu.map((c) => c.clamdMsPerFile)), median(cpuMs)),
                  unit: '×',
                },
              ]),
          {
            name: `upload check worker ÷ raw clamdscan, ${set.label}${mode.suffix}`,
            value: median(ratios),
            unit: '×',
            samples: ratios,
            ...(mode.cpus ? {} : { target: { op: '>=' as const, value: 0.8 } }),
          },
        )
      }
    }
    pin({ suffix: '', cpus: null }, clamdPid)
    await deps.queue.stop({ graceful: true, timeoutMs: 5000 })
    await deps.store.close()
    return figures
  } finally {
    clamd.remove()
    rmSync(dir, { recursive: true, force: true })
  }
}
