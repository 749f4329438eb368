import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm'
import { AttachmentLimitError } from '../attachments.port.ts'
import { type Attachment, MAX_ATTACHMENTS_PER_MESSAGE } from '../attachments.types.ts'
import { lazy, type SqliteDb, type SyncRepos } from './repos.ts'
import * as s from './schema.ts'

const a = s.attachments

/** Uploaded files; synchronous, so the limit check and the bind run with no writer in between. */
export function sqliteAttachmentRepo(db: SqliteDb): SyncRepos['attachments'] {
  const countWhere = (where: ReturnType<typeof and>) =>
    db.select({ n: count() }).from(a).where(where).all()[0]?.n ?? 0
  // The upload check reads its attachment on every attempt: built and prepared once (at first use).
  const byId = lazy(() =>
    db
      .select()
      .from(a)
      .where(eq(a.id, sql.placeholder('id')))
      .prepare(),
  )
  return {
    create(input) {
      const row = {
        ...input,
        messageId: null,
        detectedType: null,
        scanState: 'pending' as const,
        scanDetail: null,
        quarantinedAt: null,
        purgedAt: null,
      }
      db.insert(a).values(row).run()
      return row
    },
    get: (citizenId, id) =>
      (db
        .select()
        .from(a)
        .where(and(eq(a.citizenId, citizenId), eq(a.id, id)))
        .all()[0] as Attachment | undefined) ?? null,
    getForCheck: (id) => (byId().all({ id })[0] as Attachment | undefined) ?? null,
    listForMessage: (citizenId, messageId) =>
      db
        .select()
        .from(a)
        .where(and(eq(a.citizenId, citizenId), eq(a.messageId, messageId)))
        .orderBy(asc(a.createdAt), asc(a.id))
        .all() as Attachment[],
    bindToMessage(citizenId, messageId, attachmentIds, opts) {
      const ids = [...new Set(attachmentIds)]
      if (ids.length === 0) return 0
      if (opts?.fresh && ids.length > MAX_ATTACHMENTS_PER_MESSAGE)
        throw new AttachmentLimitError(MAX_ATTACHMENTS_PER_MESSAGE)
      const own = db
        .select({ id: s.messages.id })
        .from(s.messages)
        .where(and(eq(s.messages.id, messageId), eq(s.messages.citizenId, citizenId)))
        .all()
      if (own.length === 0) return 0
      const unbound = and(eq(a.citizenId, citizenId), inArray(a.id, ids), isNull(a.messageId))
      const bound = countWhere(and(eq(a.citizenId, citizenId), eq(a.messageId, messageId)))
      if (bound + countWhere(unbound) > MAX_ATTACHMENTS_PER_MESSAGE)
        throw new AttachmentLimitError(MAX_ATTACHMENTS_PER_MESSAGE)
      return db.update(a).set({ messageId }).where(unbound).run().changes
    },
    setScanResult: (id, result, from = ['pending']) =>
      db
        .update(a)
        .set({
          scanState: result.state,
          scanDetail: result.detail ?? null,
          ...(result.detectedType === undefined ? {} : { detectedType: result.detectedType }),
        })
        .where(and(eq(a.id, id), inArray(a.scanState, [...from])))
        .run().changes > 0,
    countUnbound: (citizenId) => countWhere(and(eq(a.citizenId, citizenId), isNull(a.messageId))),
    deleteUnbound: (citizenId, id) =>
      db
        .delete(a)
        .where(and(eq(a.citizenId, citizenId), eq(a.id, id), isNull(a.messageId)))
        .returning({ blobKey: a.blobKey })
        .all()[0]?.blobKey ?? null,
    listBlobKeys: (citizenId) =>
      db
        .select({ blobKey: a.blobKey })
        .from(a)
        .where(eq(a.citizenId, citizenId))
        .all()
        .map((r) => r.blobKey),
    deleteForMessage: (citizenId, messageId) =>
      db
        .delete(a)
        .where(and(eq(a.citizenId, citizenId), eq(a.messageId, messageId)))
        .returning({ blobKey: a.blobKey })
        .all()
        .map((r) => r.blobKey),
  }
}
