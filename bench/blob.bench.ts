import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { newBlobKey } from '../src/blobs/blobs.port.ts'
import { createFsBlobStore } from '../src/blobs/fs-blob-store.ts'
import { encryptStream } from '../src/crypto/blob-cipher.ts'
import type { Figure } from './lib/figures.ts'
import { median } from './lib/stats.ts'

/**
 * Blob store (issue 4): encrypt+write and read+decrypt throughput for a 100 MiB stream made on the
 * fly in 64 KiB pieces (fresh buffers, like an HTTP body), and the peak RSS growth during the put.
 */
const MiB = 1024 * 1024
const TOTAL = 100 * MiB
const PIECE = 64 * 1024
const ROUNDS = 3

function generated(total: number): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent >= total) return this.push(null)
      const n = Math.min(PIECE, total - sent)
      sent += n
      this.push(Buffer.allocUnsafe(n).fill(sent & 0xff))
    },
  })
}

/** Runs fn while sampling RSS every 2 ms; returns its duration and the peak growth over the start. */
async function measured(fn: () => Promise<unknown>): Promise<{ ms: number; rssGrowthMiB: number }> {
  const base = process.memoryUsage.rss()
  let peak = base
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 2)
  const t0 = performance.now()
  try {
    await fn()
  } finally {
    clearInterval(timer)
  }
  const ms = performance.now() - t0
  peak = Math.max(peak, process.memoryUsage.rss())
  return { ms, rssGrowthMiB: (peak - base) / MiB }
}

const mbPerSecond = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000)

/** Peak bytes queued inside source → encrypt → file for a 100 MiB stream: what backpressure keeps flat. */
async function liveBufferedPeak(file: string): Promise<number> {
  const source = generated(TOTAL)
  const cipher = encryptStream(randomBytes(32), 'bench')
  const sink = createWriteStream(file, { flush: true })
  let peak = 0
  const timer = setInterval(() => {
    const queued = source.readableLength + cipher.writableLength + cipher.readableLength + sink.writableLength
    peak = Math.max(peak, queued)
  }, 1)
  try {
    await pipeline(source, cipher, sink)
  } finally {
    clearInterval(timer)
  }
  rmSync(file)
  return peak
}

async function drain(stream: Readable): Promise<number> {
  let n = 0
  for await (const part of stream) n += (part as Buffer).length
  return n
}

export async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postkorb-bench-blobs-'))
  const store = createFsBlobStore(path.join(dir, 'blobs'))
  const dek = randomBytes(32)
  const put: number[] = []
  const get: number[] = []
  const rss: number[] = []
  const getRss: number[] = []
  const plain: number[] = []
  const plainRss: number[] = []
  let queuedPeak = Number.NaN
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const key = newBlobKey()
      const w = await measured(() => store.put(key, generated(TOTAL), { dek, blobId: key, maxBytes: TOTAL }))
      put.push(mbPerSecond(TOTAL, w.ms))
      rss.push(w.rssGrowthMiB)
      let read = 0
      const r = await measured(async () => {
        read = await drain(store.get(key, { dek, blobId: key }))
      })
      if (read !== TOTAL) throw new Error(`read back ${read} of ${TOTAL} bytes`)
      get.push(mbPerSecond(TOTAL, r.ms))
      getRss.push(r.rssGrowthMiB)
      await store.delete(key)
      // Same source and disk, no crypto: what the put would cost without encryption.
      const rawFile = path.join(dir, `raw-${round}`)
      const p = await measured(() => pipeline(generated(TOTAL), createWriteStream(rawFile, { flush: true })))
      plain.push(mbPerSecond(TOTAL, p.ms))
      plainRss.push(p.rssGrowthMiB)
      rmSync(rawFile)
    }
    queuedPeak = await liveBufferedPeak(path.join(dir, 'queued'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const where = `100 MiB in 64 KiB pieces, ${ROUNDS} rounds, files under ${os.tmpdir()}`
  return [
    {
      name: 'blob put: encrypt + write + fsync (100 MiB)',
      value: median(put),
      unit: 'MB/s',
      samples: put,
      note: `${where}; plain write + fsync of the same stream: ${median(plain).toFixed(0)} MB/s`,
    },
    { name: 'blob get: read + decrypt (100 MiB)', value: median(get), unit: 'MB/s', samples: get },
    {
      name: 'blob put: peak RSS growth (100 MiB upload)',
      value: Math.max(...rss),
      unit: 'MiB',
      target: { op: '<=', value: 64 },
      samples: rss,
      note:
        `worst of ${ROUNDS} rounds (the first, cold one is usually the worst), RSS sampled every 2 ms; ` +
        `plain write without crypto: ${Math.max(...plainRss).toFixed(1)} MiB; ` +
        `during get: ${Math.max(...getRss).toFixed(1)} MiB. Growth is mostly dead 64 KiB buffers awaiting ` +
        'GC (V8 collects external memory in ~64 MiB steps), not data held by the pipeline (next figure)',
    },
    {
      name: 'blob put: peak bytes queued in the stream pipeline',
      value: queuedPeak / 1024,
      unit: 'KiB',
      note: 'source + encrypt + file sink buffers, sampled every 1 ms over a 100 MiB put',
    },
  ]
}
