import {
  and,
  asc,
  count,
  desc,
  eq,
  getTableColumns,
  gte,
  isNull,
  lt,
  lte,
  ne,
  or,
  type SQL,
  sql,
} from 'drizzle-orm'
import type { Folder, Message, MessageListItem, MessageQuery, PostboxRepo, Thread } from '../postbox.port.ts'
import { tokenConditions } from './postbox.search.ts'
import { insertStatement, sqlStatement, statement } from './prepared.ts'
import type { InTransaction, PgDb } from './repos.ts'
import * as s from './schema.ts'

const m = s.messages
const t = s.threads
const st = s.searchTokens
// The rows of every send, as named statements (see prepared.ts). A message's tokens are one array
// parameter: drizzle's multi-row VALUES built 3 bound values per token (0.4 ms per 20 tokens).
const threadRow = insertStatement<unknown>('pk_insert_thread', (db, v) => db.insert(t).values(v as never))
const messageRow = insertStatement<unknown>('pk_insert_message', (db, v) => db.insert(m).values(v as never))
const tokenRows = sqlStatement(
  'pk_insert_tokens',
  `insert into search_tokens (citizen_id, token_mac, message_id)
   select $1, token, $2 from unnest($3::bytea[]) as token on conflict do nothing`,
)

const toMessage = (
  r: Omit<typeof m.$inferSelect, 'routeRuleId' | 'routeDestinations' | 'checkedAt'>,
): Message => r as Message
const toThread = (r: typeof t.$inferSelect): Thread => r

/** Threads, messages and tokens; multi-statement writes run in one transaction. */
export function pgPostboxRepo(db: PgDb, inTransaction: InTransaction): PostboxRepo {
  const insertTokens = async (tx: PgDb, citizenId: string, messageId: string, tokens: readonly Buffer[]) => {
    if (tokens.length > 0) await tokenRows(tx, [citizenId, messageId, tokens])
  }
  const own = (citizenId: string, id: string) => and(eq(m.citizenId, citizenId), eq(m.id, id))
  return {
    async createThread(thread) {
      await threadRow(db, thread)
    },
    async getThread(citizenId, id) {
      const [row] = await db
        .select()
        .from(t)
        .where(and(eq(t.citizenId, citizenId), eq(t.id, id)))
      return row ? toThread(row) : null
    },
    async getThreadForOffice(officeId, id) {
      const [row] = await db
        .select()
        .from(t)
        .where(and(eq(t.officeId, officeId), eq(t.id, id)))
      return row ? toThread(row) : null
    },
    async updateThread(citizenId, id, patch) {
      const rows = await db
        .update(t)
        .set(patch)
        .where(and(eq(t.citizenId, citizenId), eq(t.id, id)))
        .returning({ id: t.id })
      return rows.length > 0
    },
    insertMessage: (message, tokens) =>
      inTransaction(async (tx) => {
        await messageRow(tx, message)
        await insertTokens(tx, message.citizenId, message.id, tokens)
      }),
    async getMessage(citizenId, id) {
      const [row] = await messageById(db).execute({ citizenId, id })
      return row ? toMessage(row) : null
    },
    async listThreadMessages(citizenId, threadId) {
      const rows = await db
        .select(messageColumns)
        .from(m)
        .where(and(eq(m.citizenId, citizenId), eq(m.threadId, threadId)))
        .orderBy(asc(m.createdAt), asc(m.id))
      return rows.map(toMessage)
    },
    async listThreadMessagesForOffice(officeId, threadId) {
      const rows = await db
        .select(messageColumns)
        .from(m)
        .where(and(eq(m.officeId, officeId), eq(m.threadId, threadId), ne(m.state, 'draft')))
        .orderBy(asc(m.createdAt), asc(m.id))
      return rows.map(toMessage)
    },
    updateDraft: (citizenId, id, bodyEnc, tokens) =>
      inTransaction(async (tx) => {
        const rows = await tx
          .update(m)
          .set({ bodyEnc })
          .where(and(own(citizenId, id), eq(m.state, 'draft')))
          .returning({ id: m.id })
        if (rows.length === 0) return false
        await tx.delete(st).where(eq(st.messageId, id))
        await insertTokens(tx, citizenId, id, tokens)
        return true
      }),
    async markSent(citizenId, id, at) {
      const rows = await db
        .update(m)
        .set({ state: 'submitted', citizenFolder: 'sent', sentAt: at, createdAt: at })
        .where(and(own(citizenId, id), eq(m.state, 'draft'), ne(m.citizenFolder, 'trash')))
        .returning({ id: m.id })
      return rows.length > 0
    },
    async markRead(citizenId, id, at) {
      const [row] = await db
        .update(m)
        .set({
          readAt: sql`coalesce(${m.readAt}, ${at.toISOString()}::timestamptz)`,
          retrievedAt: sql`case when ${m.direction} = 'office_to_citizen' then coalesce(${m.retrievedAt}, ${at.toISOString()}::timestamptz) else ${m.retrievedAt} end`,
        })
        .where(own(citizenId, id))
        .returning(messageColumns)
      return row ? toMessage(row) : null
    },
    async moveToFolder(citizenId, id, folder: Folder, trashedAt) {
      const rows = await db
        .update(m)
        .set({ citizenFolder: folder, trashedAt })
        .where(own(citizenId, id))
        .returning({ id: m.id })
      return rows.length > 0
    },
    deleteMessage: (citizenId, id) =>
      inTransaction(async (tx) => {
        const [gone] = await tx.delete(m).where(own(citizenId, id)).returning({ threadId: m.threadId })
        if (!gone) return false
        await tx.delete(st).where(and(eq(st.citizenId, citizenId), eq(st.messageId, id)))
        const [left] = await tx.select({ n: count() }).from(m).where(eq(m.threadId, gone.threadId))
        if ((left?.n ?? 0) === 0)
          await tx.delete(t).where(and(eq(t.citizenId, citizenId), eq(t.id, gone.threadId)))
        return true
      }),
    // The page's ids come from a narrow newest-first subquery (its LIMIT keeps PostgreSQL from joining
    // first); subjects and attachment counts are then joined for those rows only, in the same round trip.
    async list(q) {
      const page = db
        .select({ id: m.id })
        .from(m)
        .where(and(...listFilters(q), ...(await tokenConditions(db, q.citizenId, q.tokens ?? []))))
        .orderBy(desc(m.createdAt), desc(m.id))
        .limit(q.limit)
        .as('page')
      const rows = await db
        .select({ ...listColumns, category: t.category, subjectEnc: t.subjectEnc, attachmentCount })
        .from(page)
        .innerJoin(m, eq(m.id, page.id))
        .innerJoin(t, eq(t.id, m.threadId))
        .orderBy(desc(m.createdAt), desc(m.id))
      return rows as MessageListItem[]
    },
    listTrashedBefore: (cutoff, limit) =>
      db
        .select({ citizenId: m.citizenId, id: m.id })
        .from(m)
        .where(and(eq(m.citizenFolder, 'trash'), lt(m.trashedAt, cutoff)))
        .orderBy(asc(m.trashedAt))
        .limit(limit),
    async folderCounts(citizenId) {
      const rows = await db
        .select({
          folder: m.citizenFolder,
          n: count(),
          unread:
            sql<number>`count(*) filter (where ${m.direction} = 'office_to_citizen' and ${m.readAt} is null)`.mapWith(
              Number,
            ),
        })
        .from(m)
        .where(eq(m.citizenId, citizenId))
        .groupBy(m.citizenFolder)
      const out = { inbox: 0, sent: 0, drafts: 0, trash: 0, unreadInbox: 0 }
      for (const r of rows) {
        out[r.folder as keyof typeof out] = r.n
        if (r.folder === 'inbox') out.unreadInbox = r.unread
      }
      return out
    },
  }
}

// Routing columns belong to issue 6; the domain Message does not carry them yet.
const {
  routeRuleId: _rule,
  routeDestinations: _dest,
  checkedAt: _checked,
  ...messageColumns
} = getTableColumns(m)
const { bodyEnc: _body, ...listColumns } = messageColumns
const attachmentCount =
  sql<number>`(select count(*) from ${s.attachments} where ${s.attachments.messageId} = ${m.id})`.mapWith(
    Number,
  )

/** Every list condition but the search words (tokenConditions adds those). */
function listFilters(q: MessageQuery): SQL[] {
  const where: (SQL | undefined)[] = [eq(m.citizenId, q.citizenId), eq(m.citizenFolder, q.folder)]
  if (q.officeId) where.push(eq(m.officeId, q.officeId))
  if (q.category)
    where.push(
      sql`exists (select 1 from ${t} where ${t.id} = ${m.threadId} and ${t.category} = ${q.category})`,
    )
  if (q.kind) where.push(eq(m.kind, q.kind))
  if (q.unread === true) where.push(and(eq(m.direction, 'office_to_citizen'), isNull(m.readAt)))
  if (q.unread === false) where.push(or(ne(m.direction, 'office_to_citizen'), sql`${m.readAt} is not null`))
  if (q.hasAttachments === true) where.push(sql`${attachmentCount} > 0`)
  if (q.hasAttachments === false) where.push(sql`${attachmentCount} = 0`)
  if (q.from) where.push(gte(m.createdAt, q.from))
  if (q.to) where.push(lte(m.createdAt, q.to))
  if (q.before)
    where.push(
      or(
        lt(m.createdAt, q.before.createdAt),
        and(eq(m.createdAt, q.before.createdAt), lt(m.id, q.before.id)),
      ),
    )
  return where.filter((w): w is SQL => w !== undefined)
}

// Read by every check's outcome transaction and by the API; prepared (see prepared.ts).
const messageById = statement((db) =>
  db
    .select(messageColumns)
    .from(m)
    .where(and(eq(m.citizenId, sql.placeholder('citizenId')), eq(m.id, sql.placeholder('id'))))
    .prepare('pk_message_by_id'),
)
