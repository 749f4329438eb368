import { and, asc, count, eq, isNotNull, isNull, lt, notExists, sql } from 'drizzle-orm'
import { lazy, type SqliteDb, type SyncRepos } from './repos.ts'
import * as s from './schema.ts'

const a = s.attachments

/** Upload-check writes; SQLite has one writer, so lockMessage has nothing to do. */
export function sqliteUploadCheckRepo(db: SqliteDb): SyncRepos['uploadChecks'] {
  const p = sql.placeholder
  // Written once per checked file: built and prepared once. Optional parts keep the stored value when
  // their parameter is null (detected type: when its flag is 0, since null is a value it may take).
  const outcome = lazy(() =>
    db
      .update(a)
      .set({
        scanState: sql`${p('state')}`,
        scanDetail: sql`${p('detail')}`,
        detectedType: sql`case when ${p('setType')} = 1 then ${p('detectedType')} else ${a.detectedType} end`,
        blobKey: sql`coalesce(${p('blobKey')}, ${a.blobKey})`,
        size: sql`coalesce(${p('size')}, ${a.size})`,
        quarantinedAt: sql`coalesce(${p('quarantinedAt')}, ${a.quarantinedAt})`,
      })
      .where(and(eq(a.id, p('id')), eq(a.scanState, 'pending')))
      .prepare(),
  )
  const complete = lazy(() =>
    db
      .update(s.messages)
      .set({ checkedAt: sql`${p('at')}` })
      .where(
        and(
          eq(s.messages.id, p('messageId')),
          isNull(s.messages.checkedAt),
          notExists(
            db
              .select({ id: a.id })
              .from(a)
              .where(and(eq(a.messageId, p('messageId')), eq(a.scanState, 'pending'))),
          ),
        ),
      )
      .prepare(),
  )
  return {
    lockMessage() {},
    recordOutcome: (id, o) =>
      outcome().run({
        id,
        state: o.state,
        detail: o.detail ?? null,
        setType: o.detectedType === undefined ? 0 : 1,
        detectedType: o.detectedType ?? null,
        blobKey: o.blob?.key ?? null,
        size: o.blob?.size ?? null,
        quarantinedAt: o.quarantinedAt?.getTime() ?? null,
      }).changes > 0,
    completeMessage: (messageId, at) => complete().run({ messageId, at: at.getTime() }).changes > 0,
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
