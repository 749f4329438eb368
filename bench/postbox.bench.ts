import { randomBytes, randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { createApp } from '../src/app.ts'
import { deriveIndexKey, indexTokens, queryTokens, termTokens } from '../src/crypto/blind-index.ts'
import { citizenKey } from '../src/crypto/citizen-keys.ts'
import { type AppDeps, buildDeps } from '../src/deps.ts'
import { createLogger } from '../src/logger.ts'
import { createSignedInCitizen } from '../test/helpers/citizen.ts'
import { makeTestConfig } from '../test/helpers/config.ts'
import { createPgDatabase, pgUnavailableReason } from '../test/helpers/peers.ts'
import { createOffice } from '../test/helpers/staff.ts'
import type { Figure } from './lib/figures.ts'
import { median, percentile, progress } from './lib/stats.ts'
import { seedPostbox, TOKENS_PER_MESSAGE, VOCABULARY } from './postbox/seed.ts'

/**
 * Postbox figures (issue 4), both backends: sending a 1 KiB message through the API (session, validation,
 * encryption, ~480 tokens, job) against a transaction writing the same rows through the store without
 * HTTP, crypto or validation, and against a bare Hono POST; then search latency for a citizen with
 * POSTBOX_BENCH_CITIZEN (10 000) messages in a store of POSTBOX_BENCH_TOTAL (200 000).
 * POSTBOX_BENCH_PARTS=search runs only the search figures, POSTBOX_BENCH_BACKENDS=pg only one backend.
 */
const TOTAL = Number(process.env.POSTBOX_BENCH_TOTAL ?? 200_000)
const OWN = Number(process.env.POSTBOX_BENCH_CITIZEN ?? 10_000)
const SENDS = 200
const ROUNDS = 3
const QUERIES = 200

const body1k = [
  'Sehr geehrte Damen und Herren, anbei übersende ich Ihnen die fehlenden Unterlagen für meinen',
  'Weiterbewilligungsantrag: den aktuellen Kindergeldbescheid der Familienkasse, die Nebenkostenabrechnung',
  'meines Vermieters für das vergangene Jahr sowie die Gehaltsabrechnungen meiner Teilzeitbeschäftigung',
  'von Januar bis März. Die Heizkostennachzahlung in Höhe von 312,40 Euro ist am 15. des Monats fällig;',
  'ich bitte um Prüfung, ob diese Kosten im Rahmen der Kosten der Unterkunft übernommen werden können.',
  'Außerdem hat sich meine Bankverbindung geändert, die neue IBAN steht in der Veränderungsmitteilung.',
  'Mein Sohn besucht seit dem ersten September die Grundschule, die Schulbescheinigung liegt ebenfalls bei.',
  'Für Rückfragen erreichen Sie mich vormittags telefonisch oder über dieses Postfach. Mit freundlichen Grüßen',
  'Erika Mustermann, Kundennummer 123D456789, Bedarfsgemeinschaft 12345BG0001234',
]
  .join('\n')
  .slice(0, 1024)

type Backend = { kind: 'sqlite' | 'pg'; deps: AppDeps; close(): Promise<void> }

async function openBackend(kind: 'sqlite' | 'pg'): Promise<Backend> {
  const db = kind === 'pg' ? await createPgDatabase('postkorb_bench') : null
  const config = makeTestConfig(db ? { DATABASE_URL: db.url } : {})
  const deps: AppDeps = { ...buildDeps(config, createLogger('silent')), lifecycle: { draining: false } }
  await deps.store.migrate()
  await deps.queue.start()
  return {
    kind,
    deps,
    async close() {
      await deps.queue.stop({ graceful: false, timeoutMs: 1000 })
      await deps.store.close()
      await db?.drop()
    },
  }
}

const perSecond = (n: number, ms: number) => (n / ms) * 1000

async function sendFigures(b: Backend): Promise<Figure[]> {
  const { deps } = b
  const office = await createOffice(deps)
  const who = await createSignedInCitizen(deps, { officeId: office.id, customerNumber: 'B1' })
  const app = createApp(deps)
  const payload = JSON.stringify({
    category: 'general',
    subject: 'Weiterbewilligung: Nachweise',
    body: body1k,
  })
  const viaApi = async () => {
    const t0 = performance.now()
    for (let i = 0; i < SENDS; i++) {
      const res = await app.request('/v1/postbox/threads', {
        method: 'POST',
        headers: who.headers(),
        body: payload,
      })
      if (res.status !== 201) throw new Error(`send failed: ${res.status} ${await res.text()}`)
    }
    return perSecond(SENDS, performance.now() - t0)
  }
  // Same rows (thread, message, ~480 tokens, job) through the store, bytes prepared up front.
  const tokenCount = indexTokens(deriveIndexKey(randomBytes(32), 'x'), [
    'Weiterbewilligung: Nachweise',
    body1k,
  ]).length
  const tokens = Array.from({ length: tokenCount }, () => randomBytes(16))
  const raw = async () => {
    const t0 = performance.now()
    for (let i = 0; i < SENDS; i++) {
      const now = new Date()
      const threadId = randomUUID()
      const messageId = randomUUID()
      await deps.store.transaction(async (tx) => {
        await tx.postbox.createThread({
          id: threadId,
          citizenId: who.citizen.id,
          officeId: office.id,
          category: 'general',
          reference: `RAW-${threadId}`,
          subjectEnc: tokens[0] as Buffer,
          createdAt: now,
          updatedAt: now,
        })
        await tx.postbox.insertMessage(
          {
            id: messageId,
            threadId,
            citizenId: who.citizen.id,
            officeId: office.id,
            direction: 'citizen_to_office',
            kind: 'message',
            state: 'submitted',
            citizenFolder: 'sent',
            bodyEnc: tokens[1] as Buffer,
            createdAt: now,
            sentAt: now,
            readAt: now,
            retrievedAt: null,
            trashedAt: null,
          },
          tokens,
        )
        await deps.queue.send('message.route', { messageId }, { tx })
      })
    }
    return perSecond(SENDS, performance.now() - t0)
  }
  const bare = new Hono().post('/x', async (c) => c.json(await c.req.json(), 201))
  const viaBare = async () => {
    const t0 = performance.now()
    for (let i = 0; i < SENDS; i++)
      await bare.request('/x', { method: 'POST', headers: who.headers(), body: payload })
    return perSecond(SENDS, performance.now() - t0)
  }
  await viaApi()
  await raw()
  const api: number[] = []
  const rawRates: number[] = []
  const bareRates: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    api.push(await viaApi())
    rawRates.push(await raw())
    bareRates.push(await viaBare())
  }
  const ratios = api.map((a, i) => a / (rawRates[i] as number))
  const k = b.kind
  return [
    { name: `postbox send 1 KiB via API [${k}]`, value: median(api), unit: 'req/s', samples: api },
    {
      name: `raw same-rows transaction [${k}]`,
      value: median(rawRates),
      unit: 'tx/s',
      samples: rawRates,
      note: `thread + message + ${tokenCount} tokens + message.route job through Store.transaction and the queue, no HTTP/crypto/validation`,
    },
    { name: `bare Hono POST [${k}]`, value: median(bareRates), unit: 'req/s', samples: bareRates },
    {
      name: `send API ÷ raw transaction [${k}]`,
      value: median(ratios),
      unit: '×',
      samples: ratios,
      target: { op: '>=', value: 0.6 },
    },
    {
      name: `send API ÷ bare Hono [${k}]`,
      value: median(api) / median(bareRates),
      unit: '×',
    },
  ]
}

async function searchFigures(b: Backend): Promise<Figure[]> {
  const { deps } = b
  const office = await createOffice(deps)
  const who = await createSignedInCitizen(deps, { officeId: office.id, customerNumber: 'S1' })
  const others = []
  for (let i = 0; i < 19; i++)
    others.push((await createSignedInCitizen(deps, { officeId: office.id })).citizen)
  const t0 = performance.now()
  await seedPostbox(deps, who.citizen, others, { target: OWN, others: Math.max(0, TOTAL - OWN) })
  // Bulk-seeded tables get the vacuum autovacuum would give them (visibility map for index-only scans).
  if (b.kind === 'pg') {
    const pool = (deps.store as unknown as { pool: { query(q: string): Promise<unknown> } }).pool
    await pool.query('vacuum analyze')
    // Then flush the seed's dirty pages: a checkpoint writing them during the queries measured the disk.
    await pool.query('checkpoint')
  }
  const seedS = (performance.now() - t0) / 1000
  progress(`${b.kind}: seeded ${TOTAL} messages (${OWN} of the citizen) in ${seedS.toFixed(1)} s`)
  // The seeded tokens must be what a query computes for the same word.
  const key = deriveIndexKey(citizenKey(deps.keyring, who.citizen), who.citizen.id)
  if (
    !queryTokens(key, VOCABULARY[0] as string)[0]?.equals(
      termTokens(key, [VOCABULARY[0] as string])[0] as Buffer,
    )
  )
    throw new Error('seeded tokens differ from query tokens')
  const app = createApp(deps)
  // A mix: the most common word (in most messages), mid-frequency words, rare words, two-word ANDs.
  const queries = [
    VOCABULARY[0],
    VOCABULARY[50],
    VOCABULARY[400],
    VOCABULARY[1900],
    `${VOCABULARY[0]} ${VOCABULARY[10]}`,
    `${VOCABULARY[20]} ${VOCABULARY[300]}`,
  ] as string[]
  const search = async (q: string) => {
    const t = performance.now()
    const res = await app.request(`/v1/postbox/messages?folder=sent&limit=25&q=${encodeURIComponent(q)}`, {
      headers: who.headers(),
    })
    if (res.status !== 200) throw new Error(`search failed: ${res.status}`)
    await res.arrayBuffer()
    return performance.now() - t
  }
  for (const q of queries) await search(q)
  const ms: number[] = []
  for (let i = 0; i < QUERIES; i++) ms.push(await search(queries[i % queries.length] as string))
  const k = b.kind
  const note = `${TOTAL} messages, ${OWN} of the citizen with ${TOKENS_PER_MESSAGE} tokens each (others 12), seeded once per run in ${seedS.toFixed(0)} s and reused by all ${QUERIES} queries; mix of common, rare and two-word queries through the API, limit 25`
  return [
    { name: `search p50 [${k}]`, value: percentile(ms, 50), unit: 'ms', note },
    {
      name: `search p95 [${k}]`,
      value: percentile(ms, 95),
      unit: 'ms',
      target: { op: '<=', value: k === 'sqlite' ? 10 : 20 },
    },
  ]
}

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = []
  const pgReason = await pgUnavailableReason()
  const only = process.env.POSTBOX_BENCH_BACKENDS?.split(',')
  for (const kind of ['sqlite', 'pg'] as const) {
    if (only && !only.includes(kind)) continue
    if (kind === 'pg' && pgReason) {
      progress(`postbox: PostgreSQL skipped (${pgReason})`)
      continue
    }
    if (process.env.POSTBOX_BENCH_PARTS !== 'search') {
      const send = await openBackend(kind)
      try {
        progress(`${kind}: send`)
        figures.push(...(await sendFigures(send)))
      } finally {
        await send.close()
      }
    }
    const search = await openBackend(kind)
    try {
      progress(`${kind}: search`)
      figures.push(...(await searchFigures(search)))
    } finally {
      await search.close()
    }
  }
  return figures
}
