import { and, asc, count, eq, isNotNull, isNull, lt, notExists } from 'drizzle-orm'
import type { SqliteDb, SyncRepos } from './repos.ts'
import * as s from './schema.ts'

const a = s.attachments

/** Upload-check writes; SQLite has one writer, so lockMessage has nothing to do. */
export function sqliteUploadCheckRepo(db: SqliteDb): SyncRepos['uploadChecks'] {
  return {
    lockMessage() {},
    recordOutcome: (id, o) =>
      db
        .update(a)
        .set({
          scanState: o.state,
          scanDetail: o.detail ?? null,
          ...(o.detectedType === undefined ? {} : { detectedType: o.detectedType }),
          ...(o.blob ? { blobKey: o.blob.key, size: o.blob.size } : {}),
          ...(o.quarantinedAt ? { quarantinedAt: o.quarantinedAt } : {}),
        })
        .where(and(eq(a.id, id), eq(a.scanState, 'pending')))
        .run().changes > 0,
    completeMessage: (messageId, at) =>
      db
        .update(s.messages)
        .set({ checkedAt: at })
        .where(
          and(
            eq(s.messages.id, messageId),
            isNull(s.messages.checkedAt),
            notExists(
              db
                .select({ id: a.id })
                .from(a)
                .where(and(eq(a.messageId, messageId), eq(a.scanState, 'pending'))),
            ),
          ),
        )
        .run().changes > 0,
    listQuarantineDue: (before, limit) =>
      db
        .select({ id: a.id, blobKey: a.blobKey })
        .from(a)
        .where(and(isNotNull(a.quarantinedAt), isNull(a.purgedAt), lt(a.quarantinedAt, before)))
        .orderBy(asc(a.quarantinedAt))
        .limit(limit)
        .all(),
    markPurged: (id, at) =>
      db
        .update(a)
        .set({ purgedAt: at })
        .where(and(eq(a.id, id), isNull(a.purgedAt)))
        .run().changes > 0,
    listFailed: (limit) =>
      db
        .select({ id: a.id })
        .from(a)
        .where(eq(a.scanState, 'scan_failed'))
        .orderBy(asc(a.createdAt), asc(a.id))
        .limit(limit)
        .all()
        .map((r) => r.id),
    resetFailed: (id) =>
      db
        .update(a)
        .set({ scanState: 'pending', scanDetail: null })
        .where(and(eq(a.id, id), eq(a.scanState, 'scan_failed')))
        .run().changes > 0,
    countFailed: () =>
      db.select({ n: count() }).from(a).where(eq(a.scanState, 'scan_failed')).all()[0]?.n ?? 0,
  }
}
