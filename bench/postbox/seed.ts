import { randomBytes, randomUUID } from 'node:crypto'
import type Database from 'better-sqlite3'
import { deriveIndexKey, termTokens } from '../../src/crypto/blind-index.ts'
import { citizenKey, sealForCitizen } from '../../src/crypto/citizen-keys.ts'
import type { Deps } from '../../src/deps.ts'
import type { PgStore } from '../../src/store/pg/store.ts'
import type { SqliteStore } from '../../src/store/sqlite/store.ts'
import type { Citizen } from '../../src/store/store.types.ts'

/** Vocabulary of the seeded messages: words picked with a skew, so the first ones occur in most messages. */
export const VOCABULARY = Array.from({ length: 2000 }, (_, i) => `begriff${i.toString(36).padStart(3, '0')}`)
export const TOKENS_PER_MESSAGE = 120
const OTHER_TOKENS = 12
const MESSAGES_PER_THREAD = 5

// Word index with a cubic skew: word 0 lands in ~1 of 3 picks' neighbourhood, the tail is rare.
const pick = () => Math.floor(VOCABULARY.length * Math.random() ** 3)

type Rows = { threads: unknown[][]; messages: unknown[][]; tokens: [string, Buffer, string][] }

/**
 * Seeds `target` messages for the citizen (real sealed subjects, real index tokens from VOCABULARY) and
 * `others` messages spread over other citizens of the office (random bytes), with direct multi-row inserts.
 */
export async function seedPostbox(
  deps: Pick<Deps, 'store' | 'keyring'>,
  citizen: Citizen,
  otherCitizens: Citizen[],
  sizes: { target: number; others: number },
): Promise<void> {
  const dek = citizenKey(deps.keyring, citizen)
  const vocabTokens = termTokens(deriveIndexKey(dek, citizen.id), VOCABULARY)
  const officeId = citizen.officeId as string
  const base = Date.now() - 365 * 86_400_000
  const batch = 2000
  const write = async (owner: Citizen, count: number, real: boolean) => {
    for (let done = 0; done < count; done += batch) {
      const rows: Rows = { threads: [], messages: [], tokens: [] }
      let threadId = ''
      for (let i = 0; i < Math.min(batch, count - done); i++) {
        const n = done + i
        const at = base + n * 1000 + Math.floor(Math.random() * 1000)
        if (n % MESSAGES_PER_THREAD === 0) {
          threadId = randomUUID()
          const subject = real
            ? sealForCitizen(dek, 'threads', threadId, 'subject', `Betreff ${n}`)
            : randomBytes(40)
          rows.threads.push([threadId, owner.id, officeId, 'general', `BENCH-${threadId}`, subject, at, at])
        }
        const id = randomUUID()
        const sent = n % 3 !== 0
        rows.messages.push([
          id,
          threadId,
          owner.id,
          officeId,
          sent ? 'citizen_to_office' : 'office_to_citizen',
          'message',
          sent ? 'submitted' : 'provided',
          sent ? 'sent' : 'inbox',
          randomBytes(64),
          at,
          at,
          sent ? at : null,
        ])
        const picked = new Set<number>()
        const want = real ? TOKENS_PER_MESSAGE : OTHER_TOKENS
        while (picked.size < want) picked.add(pick())
        for (const w of picked)
          rows.tokens.push([owner.id, real ? (vocabTokens[w] as Buffer) : randomBytes(16), id])
      }
      await insertRows(deps.store as SqliteStore | PgStore, rows)
    }
  }
  await write(citizen, sizes.target, true)
  const each = Math.ceil(sizes.others / Math.max(1, otherCitizens.length))
  for (const other of otherCitizens) await write(other, each, false)
}

async function insertRows(store: SqliteStore | PgStore, rows: Rows): Promise<void> {
  if (store.dialect === 'sqlite') {
    await store.exec((db) => {
      const raw = (db as unknown as { $client: Database.Database }).$client
      const thread = raw.prepare(
        'insert into threads (id, citizen_id, office_id, category, reference, subject_enc, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      const message = raw.prepare(
        `insert into messages (id, thread_id, citizen_id, office_id, direction, kind, state, citizen_folder, body_enc,
           created_at, sent_at, read_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      const token = raw.prepare(
        'insert into search_tokens (citizen_id, token_mac, message_id) values (?, ?, ?)',
      )
      raw.transaction(() => {
        for (const r of rows.threads) thread.run(...r)
        for (const r of rows.messages) message.run(...r)
        for (const r of rows.tokens) token.run(...r)
      })()
    })
    return
  }
  const ts = (v: unknown) => (v === null ? null : new Date(v as number))
  const col = (table: unknown[][], i: number, f = (v: unknown) => v) => table.map((r) => f(r[i]))
  const client = await store.pool.connect()
  try {
    await client.query('begin')
    await client.query(
      `insert into threads (id, citizen_id, office_id, category, reference, subject_enc, created_at, updated_at)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::timestamptz[], $8::timestamptz[])`,
      [0, 1, 2, 3, 4, 5]
        .map((i) => col(rows.threads, i))
        .concat([col(rows.threads, 6, ts), col(rows.threads, 7, ts)]),
    )
    await client.query(
      `insert into messages (id, thread_id, citizen_id, office_id, direction, kind, state, citizen_folder, body_enc,
         created_at, sent_at, read_at)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
         $9::bytea[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])`,
      [0, 1, 2, 3, 4, 5, 6, 7, 8]
        .map((i) => col(rows.messages, i))
        .concat([9, 10, 11].map((i) => col(rows.messages, i, ts))),
    )
    await client.query(
      'insert into search_tokens (citizen_id, token_mac, message_id) select * from unnest($1::text[], $2::bytea[], $3::text[])',
      [rows.tokens.map((r) => r[0]), rows.tokens.map((r) => r[1]), rows.tokens.map((r) => r[2])],
    )
    await client.query('commit')
  } catch (err) {
    await client.query('rollback')
    throw err
  } finally {
    client.release()
  }
}
