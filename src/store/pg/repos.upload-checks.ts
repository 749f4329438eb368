import { and, asc, count, eq, isNotNull, isNull, lt, notExists } from 'drizzle-orm'
import type { UploadCheckRepo } from '../upload-checks.port.ts'
import type { PgDb } from './repos.ts'
import * as s from './schema.ts'

const a = s.attachments

/** Upload-check writes; lockMessage takes the message's row lock, so two last outcomes cannot both miss each other. */
export function pgUploadCheckRepo(db: PgDb): UploadCheckRepo {
  return {
    async lockMessage(messageId) {
      await db
        .select({ id: s.messages.id })
        .from(s.messages)
        .where(eq(s.messages.id, messageId))
        .for('update')
    },
    async recordOutcome(id, o) {
      const rows = await db
        .update(a)
        .set({
          scanState: o.state,
          scanDetail: o.detail ?? null,
          ...(o.detectedType === undefined ? {} : { detectedType: o.detectedType }),
          ...(o.blob ? { blobKey: o.blob.key, size: o.blob.size } : {}),
          ...(o.quarantinedAt ? { quarantinedAt: o.quarantinedAt } : {}),
        })
        .where(and(eq(a.id, id), eq(a.scanState, 'pending')))
        .returning({ id: a.id })
      return rows.length > 0
    },
    async completeMessage(messageId, at) {
      const rows = await db
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
        .returning({ id: s.messages.id })
      return rows.length > 0
    },
    listQuarantineDue: (before, limit) =>
      db
        .select({ id: a.id, blobKey: a.blobKey })
        .from(a)
        .where(and(isNotNull(a.quarantinedAt), isNull(a.purgedAt), lt(a.quarantinedAt, before)))
        .orderBy(asc(a.quarantinedAt))
        .limit(limit),
    async markPurged(id, at) {
      const rows = await db
        .update(a)
        .set({ purgedAt: at })
        .where(and(eq(a.id, id), isNull(a.purgedAt)))
        .returning({ id: a.id })
      return rows.length > 0
    },
    async listFailed(limit) {
      const rows = await db
        .select({ id: a.id })
        .from(a)
        .where(eq(a.scanState, 'scan_failed'))
        .orderBy(asc(a.createdAt), asc(a.id))
        .limit(limit)
      return rows.map((r) => r.id)
    },
    async resetFailed(id) {
      const rows = await db
        .update(a)
        .set({ scanState: 'pending', scanDetail: null })
        .where(and(eq(a.id, id), eq(a.scanState, 'scan_failed')))
        .returning({ id: a.id })
      return rows.length > 0
    },
    async countFailed() {
      const [row] = await db.select({ n: count() }).from(a).where(eq(a.scanState, 'scan_failed'))
      return Number(row?.n ?? 0)
    },
  }
}
