import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm'
import { AttachmentLimitError, type AttachmentRepo } from '../attachments.port.ts'
import { type Attachment, MAX_ATTACHMENTS_PER_MESSAGE, type ScanState } from '../attachments.types.ts'
import { statement } from './prepared.ts'
import type { InTransaction, PgDb } from './repos.ts'
import * as s from './schema.ts'

const a = s.attachments

const at = (name: string) => sql.placeholder(name)

// Every send and every upload check read and bind attachments: named statements (see prepared.ts).
const forCheck = statement((db) =>
  db
    .select()
    .from(a)
    .where(eq(a.id, at('id')))
    .prepare('pk_attachment_for_check'),
)
const owned = statement((db) =>
  db
    .select()
    .from(a)
    .where(and(eq(a.citizenId, at('citizenId')), eq(a.id, at('id'))))
    .prepare('pk_attachment_owned'),
)
const lockOwnMessage = statement((db) =>
  db
    .select({ id: s.messages.id })
    .from(s.messages)
    .where(and(eq(s.messages.id, at('messageId')), eq(s.messages.citizenId, at('citizenId'))))
    .for('update')
    .prepare('pk_bind_lock_message'),
)
// The bound and the still unbound of the given ids, counted in one statement.
const unboundIds = sql`${a.citizenId} = ${at('citizenId')} and ${a.id} = any(${at('ids')}::text[]) and ${a.messageId} is null`
const bindCounts = statement((db) =>
  db
    .select({
      bound: sql<number>`count(*) filter (where ${a.messageId} = ${at('messageId')})`.mapWith(Number),
      adding: sql<number>`count(*) filter (where ${unboundIds})`.mapWith(Number),
    })
    .from(a)
    // Only the rows either count can see: the message's (message index) and the given ids (primary
    // key), not every file the citizen ever uploaded.
    .where(
      and(
        eq(a.citizenId, at('citizenId')),
        sql`(${a.messageId} = ${at('messageId')} or ${a.id} = any(${at('ids')}::text[]))`,
      ),
    )
    .prepare('pk_bind_counts'),
)
const bindUnbound = statement((db) =>
  db
    .update(a)
    .set({ messageId: sql`${at('messageId')}` })
    .where(unboundIds)
    .returning({ id: a.id })
    .prepare('pk_bind_update'),
)

const toAttachment = (r: typeof a.$inferSelect): Attachment => ({ ...r, scanState: r.scanState as ScanState })

/** Uploaded files; binding locks the message row so concurrent binds cannot pass the limit together. */
export function pgAttachmentRepo(db: PgDb, inTransaction: InTransaction): AttachmentRepo {
  return {
    async create(input) {
      const [row] = await db
        .insert(a)
        .values({ ...input, messageId: null, detectedType: null, scanState: 'pending', scanDetail: null })
        .returning()
      if (!row) throw new Error('attachment insert returned no row')
      return toAttachment(row)
    },
    async get(citizenId, id) {
      const [row] = await owned(db).execute({ citizenId, id })
      return row ? toAttachment(row) : null
    },
    async getForCheck(id) {
      const [row] = await forCheck(db).execute({ id })
      return row ? toAttachment(row) : null
    },
    async listForMessage(citizenId, messageId) {
      const rows = await db
        .select()
        .from(a)
        .where(and(eq(a.citizenId, citizenId), eq(a.messageId, messageId)))
        .orderBy(asc(a.createdAt), asc(a.id))
      return rows.map(toAttachment)
    },
    async bindToMessage(citizenId, messageId, attachmentIds, opts) {
      const ids = [...new Set(attachmentIds)]
      if (ids.length === 0) return 0
      if (opts?.fresh) {
        if (ids.length > MAX_ATTACHMENTS_PER_MESSAGE)
          throw new AttachmentLimitError(MAX_ATTACHMENTS_PER_MESSAGE)
        return (await bindUnbound(db).execute({ citizenId, messageId, ids })).length
      }
      return inTransaction(async (tx) => {
        const own = await lockOwnMessage(tx).execute({ messageId, citizenId })
        if (own.length === 0) return 0
        const values = { citizenId, messageId, ids }
        const [n] = await bindCounts(tx).execute(values)
        if ((n?.bound ?? 0) + (n?.adding ?? 0) > MAX_ATTACHMENTS_PER_MESSAGE)
          throw new AttachmentLimitError(MAX_ATTACHMENTS_PER_MESSAGE)
        const rows = await bindUnbound(tx).execute(values)
        return rows.length
      })
    },
    async setScanResult(id, result, from = ['pending']) {
      const rows = await db
        .update(a)
        .set({
          scanState: result.state,
          scanDetail: result.detail ?? null,
          ...(result.detectedType === undefined ? {} : { detectedType: result.detectedType }),
        })
        .where(and(eq(a.id, id), inArray(a.scanState, [...from])))
        .returning({ id: a.id })
      return rows.length > 0
    },
    async countUnbound(citizenId) {
      const [row] = await db
        .select({ n: count() })
        .from(a)
        .where(and(eq(a.citizenId, citizenId), isNull(a.messageId)))
      return Number(row?.n ?? 0)
    },
    async deleteUnbound(citizenId, id) {
      const [row] = await db
        .delete(a)
        .where(and(eq(a.citizenId, citizenId), eq(a.id, id), isNull(a.messageId)))
        .returning({ blobKey: a.blobKey })
      return row?.blobKey ?? null
    },
    async listBlobKeys(citizenId) {
      const rows = await db.select({ blobKey: a.blobKey }).from(a).where(eq(a.citizenId, citizenId))
      return rows.map((r) => r.blobKey)
    },
    async deleteForMessage(citizenId, messageId) {
      const rows = await db
        .delete(a)
        .where(and(eq(a.citizenId, citizenId), eq(a.messageId, messageId)))
        .returning({ blobKey: a.blobKey })
      return rows.map((r) => r.blobKey)
    },
  }
}
