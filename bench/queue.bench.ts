import { pgUnavailableReason } from '../test/helpers/peers.ts'
import type { Figure } from './lib/figures.ts'
import { benchPg } from './queue/pg.ts'
import { benchSqlite } from './queue/sqlite.ts'

/**
 * Queue throughput, overhead against raw baselines measured in the same run, and send → handler
 * latency, for both adapters (issue 2). Without PostgreSQL the pg figures show as not measured.
 */
export async function run(): Promise<Figure[]> {
  const figures = await benchSqlite()
  const pgDown = await pgUnavailableReason()
  if (pgDown) {
    return [
      ...figures,
      {
        name: 'pg-boss adapter drain ÷ raw pg-boss drain',
        value: Number.NaN,
        unit: '×',
        target: { op: '>=', value: 0.5 },
        note: pgDown,
      },
      {
        name: 'pg-boss latency p50 (send → handler)',
        value: Number.NaN,
        unit: 'ms',
        target: { op: '<=', value: 10 },
        note: pgDown,
      },
    ]
  }
  return [...figures, ...(await benchPg())]
}
