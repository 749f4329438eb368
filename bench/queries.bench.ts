import { randomUUID } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { statement } from '../src/store/pg/prepared.ts'
import * as s from '../src/store/pg/schema.ts'
import { createPgStore } from '../src/store/pg/store.ts'
import { createPgDatabase, pgUnavailableReason } from '../test/helpers/peers.ts'
import { commandCpuMs } from './lib/cpu.ts'
import type { Figure } from './lib/figures.ts'
import { median, progress } from './lib/stats.ts'

/**
 * What one PostgreSQL query costs through drizzle, in Node CPU and in PostgreSQL CPU: a select by
 * primary key built by drizzle's query builder on every call (an unnamed statement PostgreSQL parses
 * and plans each time), the same select as a named prepared statement (src/store/pg/prepared.ts), and
 * inside a transaction. The hot paths (send, upload check, routing) run as prepared statements.
 */
const CALLS = Number(process.env.QUERIES_BENCH_CALLS ?? 2000)
const ROUNDS = 3

export async function run(): Promise<Figure[]> {
  const names = ['built', 'prepared', 'built in a transaction', 'prepared in a transaction']
  const reason = await pgUnavailableReason()
  if (reason)
    return names.map((n) => ({ name: `pg select by id, ${n}`, value: Number.NaN, unit: 'µs', note: reason }))
  const db = await createPgDatabase('postkorb_queries')
  // One connection: every call pays its own round trip, none overlaps another.
  const store = createPgStore({ url: db.url, poolMax: 1 })
  try {
    await store.migrate()
    const m = s.messages
    const id = randomUUID()
    const citizenId = randomUUID()
    const byId = statement((d) =>
      d
        .select()
        .from(m)
        .where(and(eq(m.id, sql.placeholder('id')), eq(m.citizenId, sql.placeholder('citizenId'))))
        .prepare('bench_message_by_id'),
    )
    const built = () =>
      store.db
        .select()
        .from(m)
        .where(and(eq(m.id, id), eq(m.citizenId, citizenId)))
    const prepared = () => byId(store.db).execute({ id, citizenId })
    const variants: [string, () => Promise<unknown>][] = [
      ['built', built],
      ['prepared', prepared],
      [
        'built in a transaction',
        () =>
          store.db.transaction((tx) =>
            tx
              .select()
              .from(m)
              .where(and(eq(m.id, id), eq(m.citizenId, citizenId))),
          ),
      ],
      ['prepared in a transaction', () => store.db.transaction((tx) => byId(tx).execute({ id, citizenId }))],
    ]
    const figures: Figure[] = []
    for (const [name, call] of variants) {
      progress(`queries: ${name}`)
      const node: number[] = []
      const pg: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < 200; i++) await call()
        const cpu0 = process.cpuUsage()
        const pg0 = commandCpuMs('postgres')
        for (let i = 0; i < CALLS; i++) await call()
        const cpu = process.cpuUsage(cpu0)
        pg.push(((commandCpuMs('postgres') - pg0) / CALLS) * 1000)
        node.push((cpu.user + cpu.system) / CALLS)
      }
      const note = `${CALLS} calls per round on one connection (TCP to 127.0.0.1), median of ${ROUNDS}; PostgreSQL CPU from /proc (10 ms ticks, every backend)`
      figures.push(
        {
          name: `pg select by id, ${name}: Node CPU per call`,
          value: median(node),
          unit: 'µs',
          samples: node,
          note,
        },
        {
          name: `pg select by id, ${name}: PostgreSQL CPU per call`,
          value: median(pg),
          unit: 'µs',
          samples: pg,
        },
      )
    }
    return figures
  } finally {
    await store.close()
    await db.drop()
  }
}
