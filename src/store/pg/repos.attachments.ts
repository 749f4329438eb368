import { and, asc, count, eq, inArray, isNull } from 'drizzle-orm'
import { AttachmentLimitError, type AttachmentRepo } from '../attachments.port.ts'
import { type Attachment, MAX_ATTACHMENTS_PER_MESSAGE, type ScanState } from '../attachments.types.ts'
import type { InTransaction, PgDb } from './repos.ts'
import * as s from './schema.ts'

const a = s.attachments

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
      const [row] = await db
        .select()
        .from(a)
        .where(and(eq(a.citizenId, citizenId), eq(a.id, id)))
      return row ? toAttachment(row) : null
    },
    async getForCheck(id) {
      const [row] = await db.select().from(a).where(eq(a.id, id))
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
    async bindToMessage(citizenId, messageId, attachmentIds) {
      const ids = [...new Set(attachmentIds)]
      if (ids.length === 0) return 0
      return inTransaction(async (tx) => {
        const own = await tx
          .select({ id: s.messages.id })
          .from(s.messages)
          .where(and(eq(s.messages.id, messageId), eq(s.messages.citizenId, citizenId)))
          .for('update')
        if (own.length === 0) return 0
        const unbound = and(eq(a.citizenId, citizenId), inArray(a.id, ids), isNull(a.messageId))
        const [bound] = await tx
          .select({ n: count() })
          .from(a)
          .where(and(eq(a.citizenId, citizenId), eq(a.messageId, messageId)))
        const [adding] = await tx.select({ n: count() }).from(a).where(unbound)
        if ((bound?.n ?? 0) + (adding?.n ?? 0) > MAX_ATTACHMENTS_PER_MESSAGE)
          throw new AttachmentLimitError(MAX_ATTACHMENTS_PER_MESSAGE)
        const rows = await tx.update(a).set({ messageId }).where(unbound).returning({ id: a.id })
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
