import { type SQL, sql } from 'drizzle-orm'
import type { PgDb } from './repos.ts'
import * as s from './schema.ts'

const m = s.messages
const st = s.searchTokens

/**
 * A word with at most this many token rows for the citizen is rare: the search starts from its rows.
 * Above it, walking the folder newest first and probing each message's tokens reaches a page sooner.
 * Measured on 10 000 messages: driving from a word's rows costs ~0.01 ms per row, probing ~0.0013 ms
 * per message walked (about limit × messages ÷ rows of them), which break even near 200 rows.
 */
export const RARE_TOKEN_ROWS = 256

/**
 * The search conditions for a message list, one per token (AND; queryTokens gives distinct ones).
 * PostgreSQL left to itself plans `id in (token rows)` as a hash join over every row of a common word
 * and sorts the result:
 * 20–50 ms for one or two frequent words. So the rarest word's row count (capped, an index-only count)
 * picks the plan: a rare word keeps the semi-join, which PostgreSQL drives from that word's rows;
 * otherwise each token is an EXISTS probe the planner cannot flatten (OFFSET 0), evaluated rarest
 * first on rows of the newest-first folder index, so the scan stops at the page limit.
 */
export async function tokenConditions(
  db: PgDb,
  citizenId: string,
  tokens: readonly Buffer[],
): Promise<SQL[]> {
  if (tokens.length === 0) return []
  const counts = await tokenRowCounts(db, citizenId, tokens)
  const byRarity = tokens.map((tok, i) => ({ tok, n: counts[i] ?? 0 })).sort((a, b) => a.n - b.n)
  if ((byRarity[0]?.n ?? 0) <= RARE_TOKEN_ROWS)
    return byRarity.map(
      ({ tok }) =>
        sql`${m.id} in (select ${st.messageId} from ${st} where ${st.citizenId} = ${citizenId} and ${st.tokenMac} = ${tok})`,
    )
  return byRarity.map(
    ({ tok }) =>
      sql`exists (select 1 from ${st} where ${st.citizenId} = ${citizenId} and ${st.tokenMac} = ${tok} and ${st.messageId} = ${m.id} offset 0)`,
  )
}

/** Token rows per token for the citizen, each counted up to RARE_TOKEN_ROWS + 1: one round trip. */
async function tokenRowCounts(db: PgDb, citizenId: string, tokens: readonly Buffer[]): Promise<number[]> {
  const cap = RARE_TOKEN_ROWS + 1
  const columns = tokens.map(
    (tok, i) =>
      sql`(select count(*) from (select 1 from ${st} where ${st.citizenId} = ${citizenId} and ${st.tokenMac} = ${tok} limit ${cap}) c)::int as ${sql.raw(`n${i}`)}`,
  )
  const result = await db.execute<Record<string, number>>(sql`select ${sql.join(columns, sql`, `)}`)
  const row = result.rows[0] ?? {}
  return tokens.map((_, i) => Number(row[`n${i}`] ?? 0))
}
