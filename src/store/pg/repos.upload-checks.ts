import { and, asc, count, eq, isNotNull, isNull, lt, notExists, sql } from 'drizzle-orm'
import type { UploadCheckRepo } from '../upload-checks.port.ts'
import { statement } from './prepared.ts'
import type { PgDb } from './repos.ts'
import * as s from './schema.ts'

const a = s.attachments
const at = (name: string) => sql.placeholder(name)

// The three statements of every check's outcome transaction, prepared (see prepared.ts).
const lockMessage = statement((db) =>
  db
    .select({ id: s.messages.id })
    .from(s.messages)
    .where(eq(s.messages.id, at('id')))
    .for('update')
    .prepare('pk_check_lock_message'),
)

// One statement for every outcome: a column the outcome leaves out keeps its value (keep* flags, coalesce).
const recordOutcome = statement((db) =>
  db
    .update(a)
    .set({
      scanState: sql`${at('state')}`,
      scanDetail: sql`${at('detail')}`,
      detectedType: sql`case when ${at('keepType')}::boolean then ${a.detectedType} else ${at('type')}::text end`,
      blobKey: sql`coalesce(${at('blobKey')}::text, ${a.blobKey})`,
      size: sql`coalesce(${at('size')}::integer, ${a.size})`,
      quarantinedAt: sql`coalesce(${at('quarantinedAt')}::timestamptz, ${a.quarantinedAt})`,
    })
    .where(and(eq(a.id, at('id')), eq(a.scanState, 'pending')))
    .returning({ id: a.id })
    .prepare('pk_check_record_outcome'),
)

const completeMessage = statement((db) =>
  db
    .update(s.messages)
    .set({ checkedAt: sql`${at('at')}::timestamptz` })
    .where(
      and(
        eq(s.messages.id, at('id')),
        isNull(s.messages.checkedAt),
        notExists(
          db
            .select({ id: a.id })
            .from(a)
            .where(and(eq(a.messageId, at('id')), eq(a.scanState, 'pending'))),
        ),
      ),
    )
    .returning({ id: s.messages.id })
    .prepare('pk_check_complete_message'),
)

/** Upload-check writes; lockMessage takes the message's row lock, so two last outcomes cannot both miss each other. */
export function pgUploadCheckRepo(db: PgDb): UploadCheckRepo {
  return {
    async lockMessage(messageId) {
      await lockMessage(db).execute({ id: messageId })
    },
    async recordOutcome(id, o) {
      const rows = await recordOutcome(db).execute({
        id,
        state: o.state,
        detail: o.detail ?? null,
        keepType: o.detectedType === undefined,
        type: o.detectedType ?? null,
        blobKey: o.blob?.key ?? null,
        size: o.blob?.size ?? null,
        quarantinedAt: o.quarantinedAt ?? null,
      })
      return rows.length > 0
    },
    async completeMessage(messageId, at) {
      const rows = await completeMessage(db).execute({ id: messageId, at })
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
