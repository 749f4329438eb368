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
import type { Message, MessageListItem, MessageQuery } from '../postbox.port.ts'
import type { SqliteDb, SyncRepos } from './repos.ts'
import * as s from './schema.ts'

const m = s.messages
const t = s.threads
const st = s.searchTokens
// 3 bound values per token row; SQLite allows 32 766 per statement.
const TOKEN_CHUNK = 5000

/** Threads, messages and tokens; synchronous like every SQLite repository. */
export function sqlitePostboxRepo(db: SqliteDb): SyncRepos['postbox'] {
  const insertTokens = (citizenId: string, messageId: string, tokens: readonly Buffer[]) => {
    for (let i = 0; i < tokens.length; i += TOKEN_CHUNK) {
      const rows = tokens.slice(i, i + TOKEN_CHUNK).map((tokenMac) => ({ citizenId, tokenMac, messageId }))
      db.insert(st).values(rows).onConflictDoNothing().run()
    }
  }
  const own = (citizenId: string, id: string) => and(eq(m.citizenId, citizenId), eq(m.id, id))
  return {
    createThread: (thread) => void db.insert(t).values(thread).run(),
    getThread: (citizenId, id) =>
      (db
        .select()
        .from(t)
        .where(and(eq(t.citizenId, citizenId), eq(t.id, id)))
        .all()[0] as typeof t.$inferSelect | undefined) ?? null,
    getThreadForOffice: (officeId, id) =>
      db
        .select()
        .from(t)
        .where(and(eq(t.officeId, officeId), eq(t.id, id)))
        .all()[0] ?? null,
    updateThread: (citizenId, id, patch) =>
      db
        .update(t)
        .set(patch)
        .where(and(eq(t.citizenId, citizenId), eq(t.id, id)))
        .run().changes > 0,
    insertMessage(message, tokens) {
      db.insert(m).values(message).run()
      insertTokens(message.citizenId, message.id, tokens)
    },
    getMessage: (citizenId, id) =>
      (db.select(messageColumns).from(m).where(own(citizenId, id)).all()[0] as Message) ?? null,
    listThreadMessages: (citizenId, threadId) =>
      db
        .select(messageColumns)
        .from(m)
        .where(and(eq(m.citizenId, citizenId), eq(m.threadId, threadId)))
        .orderBy(asc(m.createdAt), asc(m.id))
        .all() as Message[],
    listThreadMessagesForOffice: (officeId, threadId) =>
      db
        .select(messageColumns)
        .from(m)
        .where(and(eq(m.officeId, officeId), eq(m.threadId, threadId), ne(m.state, 'draft')))
        .orderBy(asc(m.createdAt), asc(m.id))
        .all() as Message[],
    updateDraft(citizenId, id, bodyEnc, tokens) {
      const changed = db
        .update(m)
        .set({ bodyEnc })
        .where(and(own(citizenId, id), eq(m.state, 'draft')))
        .run().changes
      if (changed === 0) return false
      db.delete(st).where(eq(st.messageId, id)).run()
      insertTokens(citizenId, id, tokens)
      return true
    },
    markSent: (citizenId, id, at) =>
      db
        .update(m)
        .set({ state: 'submitted', citizenFolder: 'sent', sentAt: at, createdAt: at })
        .where(and(own(citizenId, id), eq(m.state, 'draft'), ne(m.citizenFolder, 'trash')))
        .run().changes > 0,
    markRead(citizenId, id, at) {
      db.update(m)
        .set({
          readAt: sql`coalesce(${m.readAt}, ${at.getTime()})`,
          retrievedAt: sql`case when ${m.direction} = 'office_to_citizen' then coalesce(${m.retrievedAt}, ${at.getTime()}) else ${m.retrievedAt} end`,
        })
        .where(own(citizenId, id))
        .run()
      return (db.select(messageColumns).from(m).where(own(citizenId, id)).all()[0] as Message) ?? null
    },
    moveToFolder: (citizenId, id, folder, trashedAt) =>
      db.update(m).set({ citizenFolder: folder, trashedAt }).where(own(citizenId, id)).run().changes > 0,
    deleteMessage(citizenId, id) {
      const gone = db.delete(m).where(own(citizenId, id)).returning({ threadId: m.threadId }).all()[0]
      if (!gone) return false
      db.delete(st)
        .where(and(eq(st.citizenId, citizenId), eq(st.messageId, id)))
        .run()
      const left = db.select({ n: count() }).from(m).where(eq(m.threadId, gone.threadId)).all()[0]?.n ?? 0
      if (left === 0)
        db.delete(t)
          .where(and(eq(t.citizenId, citizenId), eq(t.id, gone.threadId)))
          .run()
      return true
    },
    list: (q) =>
      db
        .select({ ...listColumns, category: t.category, subjectEnc: t.subjectEnc, attachmentCount })
        .from(m)
        .innerJoin(t, eq(t.id, m.threadId))
        .where(and(...listFilters(q)))
        .orderBy(desc(m.createdAt), desc(m.id))
        .limit(q.limit)
        .all() as MessageListItem[],
    listTrashedBefore: (cutoff, limit) =>
      db
        .select({ citizenId: m.citizenId, id: m.id })
        .from(m)
        .where(and(eq(m.citizenFolder, 'trash'), lt(m.trashedAt, cutoff)))
        .orderBy(asc(m.trashedAt))
        .limit(limit)
        .all(),
    folderCounts(citizenId) {
      const rows = db
        .select({
          folder: m.citizenFolder,
          n: count(),
          unread: sql<number>`sum(case when ${m.direction} = 'office_to_citizen' and ${m.readAt} is null then 1 else 0 end)`,
        })
        .from(m)
        .where(eq(m.citizenId, citizenId))
        .groupBy(m.citizenFolder)
        .all()
      const out = { inbox: 0, sent: 0, drafts: 0, trash: 0, unreadInbox: 0 }
      for (const r of rows) {
        out[r.folder as keyof typeof out] = r.n
        if (r.folder === 'inbox') out.unreadInbox = Number(r.unread ?? 0)
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

function listFilters(q: MessageQuery): SQL[] {
  const where: (SQL | undefined)[] = [eq(m.citizenId, q.citizenId), eq(m.citizenFolder, q.folder)]
  if (q.tokens && q.tokens.length > 0) where.push(...holdsEveryToken(q.tokens))
  if (q.officeId) where.push(eq(m.officeId, q.officeId))
  if (q.category) where.push(eq(t.category, q.category))
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

// One index probe per token and candidate message (PK citizen_id, token_mac, message_id): the folder index
// yields messages newest first and the scan stops at the page limit, so common words cost a few probes.
function holdsEveryToken(tokens: readonly Buffer[]): SQL[] {
  return tokens.map(
    (tok) =>
      sql`exists (select 1 from ${st} where ${st.citizenId} = ${m.citizenId} and ${st.tokenMac} = ${tok} and ${st.messageId} = ${m.id})`,
  )
}
