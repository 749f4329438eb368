import { randomUUID } from 'node:crypto'
import { PassThrough, Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import MailComposer from 'nodemailer/lib/mail-composer'
import { createApp } from '../src/app.ts'
import { type AppDeps, buildDeps } from '../src/deps.ts'
import { processInboundMail } from '../src/features/inbound/inbound.process.ts'
import { mimeScanner } from '../src/features/inbound/mime-scan.ts'
import { threadReplyAddress } from '../src/features/inbound/reply-token.ts'
import { createThread } from '../src/features/postbox/postbox.service.ts'
import { createLogger } from '../src/logger.ts'
import { createSignedInCitizen } from '../test/helpers/citizen.ts'
import { makeTestConfig } from '../test/helpers/config.ts'
import { createPgDatabase, pgUnavailableReason } from '../test/helpers/peers.ts'
import { createStaffToken } from '../test/helpers/staff.ts'
import type { Figure } from './lib/figures.ts'
import { median, percentile } from './lib/stats.ts'

/**
 * Inbound mail (issue 6): the streaming MIME pre-scan against a bare pass-through for a 20 MiB
 * attachment mail, and replies through the whole path — POST /v1/inbound/email (scan, sealed blob,
 * row + job) then the job (parse, token, quote stripping, writeOfficeReply) — per store backend.
 */
const MiB = 1024 * 1024
const ROUNDS = 5
const REPLIES = Number(process.env.INBOUND_BENCH_REPLIES ?? 200)

const compose = (mail: ConstructorParameters<typeof MailComposer>[0]) =>
  new MailComposer(mail).compile().build()

async function passMs(raw: Buffer, through: () => NodeJS.ReadWriteStream): Promise<number> {
  const pieces: Buffer[] = []
  for (let i = 0; i < raw.length; i += 64 * 1024) pieces.push(raw.subarray(i, i + 64 * 1024))
  const sink = new Writable({ write: (_c, _e, done) => done() })
  const t0 = performance.now()
  await pipeline(Readable.from(pieces), through(), sink)
  return performance.now() - t0
}

async function scanFigures(): Promise<Figure[]> {
  const raw = await compose({
    from: 'sb@jobcenter.example',
    to: 'postkorb+x@reply.localhost',
    text: 'Anbei.',
    attachments: [{ filename: 'gross.pdf', content: Buffer.alloc(20 * MiB, 0x41) }],
  })
  const limits = { maxBytes: 64 * MiB, maxHeaders: 500, maxParts: 100, maxAttachments: 20 }
  const scan: number[] = []
  const bare: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    bare.push(await passMs(raw, () => new PassThrough()))
    scan.push(await passMs(raw, () => mimeScanner(limits).stream))
  }
  const mbps = (ms: number) => raw.length / 1e6 / (ms / 1000)
  return [
    {
      name: 'inbound MIME pre-scan throughput (20 MiB attachment, base64)',
      value: median(scan.map(mbps)),
      unit: 'MB/s',
      samples: scan.map(mbps),
      target: { op: '>=', value: 125 },
      note: `a bare PassThrough does ${median(bare.map(mbps)).toFixed(0)} MB/s; 125 MB/s is a saturated 1 Gbit/s link`,
    },
  ]
}

async function pathFigures(kind: 'sqlite' | 'pg'): Promise<Figure[]> {
  const db = kind === 'pg' ? await createPgDatabase('postkorb_bench') : null
  const config = makeTestConfig(db ? { DATABASE_URL: db.url } : {})
  const deps: AppDeps = { ...buildDeps(config, createLogger('silent')), lifecycle: { draining: false } }
  try {
    await deps.store.migrate()
    await deps.queue.start()
    const app = createApp(deps)
    const office = await deps.store.offices.create({
      id: randomUUID(),
      code: `JC-B${randomUUID().slice(0, 6)}`,
      name: 'Bench',
      efileEndpoint: null,
      inboxAddress: null,
      allowedSenders: ['@jobcenter.example'],
      routingRules: [],
    })
    const gateway = await createStaffToken(deps, office.id, 'integration')
    const who = await createSignedInCitizen(deps, { officeId: office.id, customerNumber: 'K-BENCH' })
    const mails: Buffer[] = []
    for (let i = 0; i < REPLIES; i++) {
      const { threadId } = await createThread(deps, who.citizen, {
        category: 'general',
        subject: `Frage ${i}`,
        body: 'Wann ist mein Termin?',
        attachmentIds: [],
        draft: false,
      })
      mails.push(
        await compose({
          from: 'sb@jobcenter.example',
          to: threadReplyAddress(deps, threadId, new Date()),
          subject: `Re: Frage ${i}`,
          text: `Ihr Termin ist am ${i}.\n\nAm 01.12.2026 um 09:12 schrieb Postkorb:\n> Wann ist mein Termin?`,
        }),
      )
    }
    const receive: number[] = []
    const processMs: number[] = []
    for (const raw of mails) {
      const t0 = performance.now()
      const res = await app.request('/v1/inbound/email', {
        method: 'POST',
        headers: { Authorization: `Bearer ${gateway.token}`, 'Content-Type': 'message/rfc822' },
        body: raw,
      })
      const t1 = performance.now()
      const { id } = (await res.json()) as { id: string }
      const out = await processInboundMail(deps, id)
      if (out.state !== 'appended') throw new Error(`bench reply went to ${out.state} (${out.reason})`)
      receive.push(t1 - t0)
      processMs.push(performance.now() - t1)
    }
    const total = receive.map((r, i) => r + (processMs[i] ?? 0))
    return [
      {
        name: `inbound reply receive (HTTP → sealed blob + row + job) p50 [${kind}]`,
        value: median(receive),
        unit: 'ms',
        target: { op: '<=', value: 50 },
        note: `p95 ${percentile(receive, 95).toFixed(1)} ms over ${REPLIES} text replies`,
      },
      {
        name: `inbound reply job (parse, token, strip, writeOfficeReply) p50 [${kind}]`,
        value: median(processMs),
        unit: 'ms',
        target: { op: '<=', value: 50 },
        note: `p95 ${percentile(processMs, 95).toFixed(1)} ms`,
      },
      {
        name: `inbound replies end to end, one at a time [${kind}]`,
        value: 1000 / (total.reduce((a, b) => a + b, 0) / total.length),
        unit: 'replies/s',
      },
    ]
  } finally {
    await deps.queue.stop({ graceful: false, timeoutMs: 1000 })
    await deps.store.close()
    await db?.drop()
  }
}

export async function run(): Promise<Figure[]> {
  const figures = [...(await scanFigures()), ...(await pathFigures('sqlite'))]
  const pgReason = await pgUnavailableReason()
  if (pgReason) figures.push({ name: 'inbound replies [pg]', value: Number.NaN, unit: 'ms', note: pgReason })
  else figures.push(...(await pathFigures('pg')))
  return figures
}
