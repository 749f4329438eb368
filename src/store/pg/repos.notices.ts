import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm'
import type { NoticeRepos } from '../notices.port.ts'
import type { Notice, Notification, PrintJob } from '../notices.types.ts'
import type { PgDb } from './repos.ts'
import * as n from './schema.notices.ts'

const t = n.notices
const p = n.printJobs
const q = n.notifications
const first = <T>(rows: T[]): T | null => rows[0] ?? null
const byAge = (a: Notification, b: Notification) =>
  a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id)

/** Notices, print jobs, notifications and postal addresses on PostgreSQL. */
export function pgNoticeRepos(db: PgDb): NoticeRepos {
  return {
    notices: {
      async create(notice) {
        await db.insert(t).values(notice)
      },
      get: async (officeId, id) =>
        first(
          await db
            .select()
            .from(t)
            .where(and(eq(t.officeId, officeId), eq(t.id, id))),
        ) as Notice | null,
      listForOffice: async (officeId, filter, limit) =>
        (await db
          .select()
          .from(t)
          .where(
            and(
              eq(t.officeId, officeId),
              filter.notifyState ? eq(t.notifyState, filter.notifyState) : undefined,
              filter.state ? eq(t.state, filter.state) : undefined,
              filter.before ? lt(t.createdAt, filter.before) : undefined,
            ),
          )
          .orderBy(desc(t.createdAt), desc(t.id))
          .limit(limit)) as Notice[],
      getBySender: async (officeId, senderNoticeId) =>
        first(
          await db
            .select()
            .from(t)
            .where(and(eq(t.officeId, officeId), eq(t.senderNoticeId, senderNoticeId))),
        ) as Notice | null,
      getForJob: async (id) => first(await db.select().from(t).where(eq(t.id, id))) as Notice | null,
      getByMessage: async (messageId) =>
        first(await db.select().from(t).where(eq(t.messageId, messageId))) as Notice | null,
      update: async (id, patch, states) =>
        (
          await db
            .update(t)
            .set({ ...patch, updatedAt: new Date() })
            .where(states ? and(eq(t.id, id), inArray(t.state, [...states])) : eq(t.id, id))
            .returning({ id: t.id })
        ).length > 0,
      decide: async (id, patch) =>
        (
          await db
            .update(t)
            .set({ ...patch, updatedAt: new Date() })
            .where(and(eq(t.id, id), isNull(t.channel)))
            .returning({ id: t.id })
        ).length > 0,
      markRetrieved: async (messageId, at) =>
        (
          await db
            .update(t)
            .set({ retrievedAt: at, updatedAt: new Date() })
            .where(and(eq(t.messageId, messageId), isNull(t.retrievedAt)))
            .returning({ id: t.id })
        ).length > 0,
      listUnretrieved: async (before, limit) =>
        (await db
          .select()
          .from(t)
          .where(
            and(
              eq(t.channel, 'online'),
              eq(t.state, 'provided'),
              isNotNull(t.providedAt),
              lt(t.providedAt, before),
              isNull(t.retrievedAt),
              isNull(t.fallbackReason),
            ),
          )
          .orderBy(asc(t.providedAt))
          .limit(limit)) as Notice[],
      listWrappedNotUnder: (keyId, afterId, limit) =>
        db
          .select({ id: t.id, dekWrapped: t.dekWrapped, dekKeyId: t.dekKeyId })
          .from(t)
          .where(and(ne(t.dekKeyId, keyId), afterId === null ? undefined : gt(t.id, afterId)))
          .orderBy(asc(t.id))
          .limit(limit),
      rewrapDek: async (id, expectedOldKeyId, wrapped, newKeyId) =>
        (
          await db
            .update(t)
            .set({ dekWrapped: wrapped, dekKeyId: newKeyId })
            .where(and(eq(t.id, id), eq(t.dekKeyId, expectedOldKeyId)))
            .returning({ id: t.id })
        ).length > 0,
      async countByKeyId() {
        const rows = await db
          .select({ keyId: t.dekKeyId, n: sql<number>`count(*)` })
          .from(t)
          .groupBy(t.dekKeyId)
        return Object.fromEntries(rows.map((r) => [r.keyId, Number(r.n)]))
      },
    },
    printJobs: {
      create: async (job) =>
        (await db.insert(p).values(job).onConflictDoNothing().returning({ id: p.id })).length > 0,
      getByNotice: async (noticeId) =>
        first(await db.select().from(p).where(eq(p.noticeId, noticeId))) as PrintJob | null,
      listQueued: async (limit) =>
        (await db
          .select()
          .from(p)
          .where(eq(p.state, 'queued'))
          .orderBy(asc(p.createdAt), asc(p.id))
          .limit(limit)) as PrintJob[],
      listBatch: async (batch) =>
        (await db.select().from(p).where(eq(p.exportBatch, batch)).orderBy(asc(p.createdAt))) as PrintJob[],
      async markExported(ids, batch, at) {
        if (ids.length === 0) return 0
        const rows = await db
          .update(p)
          .set({ state: 'exported', exportBatch: batch, exportedAt: at })
          .where(and(inArray(p.id, [...ids]), eq(p.state, 'queued')))
          .returning({ id: p.id })
        return rows.length
      },
      markHandedOver: async (batch, at) =>
        (await db
          .update(p)
          .set({ state: 'handed_over', handedOverAt: at })
          .where(and(eq(p.exportBatch, batch), eq(p.state, 'exported')))
          .returning()) as PrintJob[],
    },
    notifications: {
      enqueue: async (row) =>
        (await db.insert(q).values(row).onConflictDoNothing().returning({ id: q.id })).length > 0,
      claim: async (citizenId, at, staleBefore) =>
        (
          (await db
            .update(q)
            .set({ state: 'sending', claimedAt: at })
            .where(
              and(
                eq(q.citizenId, citizenId),
                or(eq(q.state, 'pending'), and(eq(q.state, 'sending'), lt(q.claimedAt, staleBefore))),
              ),
            )
            .returning()) as Notification[]
        ).sort(byAge),
      listByExternalId: async (externalId) =>
        (await db
          .select()
          .from(q)
          .where(and(eq(q.externalId, externalId), eq(q.state, 'sent')))) as Notification[],
      async markBounced(ids, error) {
        if (ids.length === 0) return 0
        const rows = await db
          .update(q)
          .set({ state: 'failed', error })
          .where(and(inArray(q.id, [...ids]), eq(q.state, 'sent')))
          .returning({ id: q.id })
        return rows.length
      },
      listForMessage: async (messageId) =>
        (await db
          .select()
          .from(q)
          .where(eq(q.messageId, messageId))
          .orderBy(asc(q.channel))) as Notification[],
      async settle(ids, r) {
        if (ids.length === 0) return
        await db
          .update(q)
          .set({
            state: r.state,
            attempts: sql`${q.attempts} + 1`,
            error: r.error ?? null,
            ...(r.state === 'sent' ? { sentAt: r.at, externalId: r.externalId ?? null } : {}),
          })
          .where(and(inArray(q.id, [...ids]), inArray(q.state, ['pending', 'sending'])))
      },
    },
    postalAddresses: {
      get: async (citizenId) =>
        first(
          await db
            .select({ a: n.postalAddresses.addressEnc })
            .from(n.postalAddresses)
            .where(eq(n.postalAddresses.citizenId, citizenId)),
        )?.a ?? null,
      async put(citizenId, addressEnc, at) {
        await db
          .insert(n.postalAddresses)
          .values({ citizenId, addressEnc, updatedAt: at })
          .onConflictDoUpdate({ target: n.postalAddresses.citizenId, set: { addressEnc, updatedAt: at } })
      },
      delete: async (citizenId) =>
        (
          await db
            .delete(n.postalAddresses)
            .where(eq(n.postalAddresses.citizenId, citizenId))
            .returning({ c: n.postalAddresses.citizenId })
        ).length > 0,
    },
  }
}
