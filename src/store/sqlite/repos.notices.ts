import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm'
import type { Notice, Notification, PrintJob } from '../notices.types.ts'
import type { SqliteDb, SyncRepos } from './repos.ts'
import * as n from './schema.notices.ts'

const t = n.notices
const p = n.printJobs
const q = n.notifications
const one = <T>(rows: T[]): T | null => rows[0] ?? null
const byAge = (a: Notification, b: Notification) =>
  a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id)

/** Notices, print jobs, notifications and postal addresses; synchronous like every SQLite repo. */
export function sqliteNoticeRepos(
  db: SqliteDb,
): Pick<SyncRepos, 'notices' | 'printJobs' | 'notifications' | 'postalAddresses'> {
  return {
    notices: {
      create(notice) {
        db.insert(t).values(notice).run()
      },
      get: (officeId, id) =>
        one(
          db
            .select()
            .from(t)
            .where(and(eq(t.officeId, officeId), eq(t.id, id)))
            .all(),
        ) as Notice | null,
      listForOffice: (officeId, filter, limit) =>
        db
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
          .limit(limit)
          .all() as Notice[],
      getBySender: (officeId, senderNoticeId) =>
        one(
          db
            .select()
            .from(t)
            .where(and(eq(t.officeId, officeId), eq(t.senderNoticeId, senderNoticeId)))
            .all(),
        ) as Notice | null,
      getForJob: (id) => one(db.select().from(t).where(eq(t.id, id)).all()) as Notice | null,
      getByMessage: (messageId) =>
        one(db.select().from(t).where(eq(t.messageId, messageId)).all()) as Notice | null,
      update: (id, patch, states) =>
        db
          .update(t)
          .set({ ...patch, updatedAt: new Date() })
          .where(states ? and(eq(t.id, id), inArray(t.state, [...states])) : eq(t.id, id))
          .run().changes > 0,
      decide: (id, patch) =>
        db
          .update(t)
          .set({ ...patch, updatedAt: new Date() })
          .where(and(eq(t.id, id), isNull(t.channel)))
          .run().changes > 0,
      markRetrieved: (messageId, at) =>
        db
          .update(t)
          .set({ retrievedAt: at, updatedAt: new Date() })
          .where(and(eq(t.messageId, messageId), isNull(t.retrievedAt)))
          .run().changes > 0,
      listUnretrieved: (before, limit) =>
        db
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
          .limit(limit)
          .all() as Notice[],
      listWrappedNotUnder: (keyId, afterId, limit) =>
        db
          .select({ id: t.id, dekWrapped: t.dekWrapped, dekKeyId: t.dekKeyId })
          .from(t)
          .where(and(ne(t.dekKeyId, keyId), afterId === null ? undefined : gt(t.id, afterId)))
          .orderBy(asc(t.id))
          .limit(limit)
          .all(),
      rewrapDek: (id, expectedOldKeyId, wrapped, newKeyId) =>
        db
          .update(t)
          .set({ dekWrapped: wrapped, dekKeyId: newKeyId })
          .where(and(eq(t.id, id), eq(t.dekKeyId, expectedOldKeyId)))
          .run().changes > 0,
      countByKeyId: () =>
        Object.fromEntries(
          db
            .select({ keyId: t.dekKeyId, n: sql<number>`count(*)` })
            .from(t)
            .groupBy(t.dekKeyId)
            .all()
            .map((r) => [r.keyId, Number(r.n)]),
        ),
    },
    printJobs: {
      create: (job) => db.insert(p).values(job).onConflictDoNothing().run().changes > 0,
      getByNotice: (noticeId) =>
        one(db.select().from(p).where(eq(p.noticeId, noticeId)).all()) as PrintJob | null,
      listQueued: (limit) =>
        db
          .select()
          .from(p)
          .where(eq(p.state, 'queued'))
          .orderBy(asc(p.createdAt), asc(p.id))
          .limit(limit)
          .all() as PrintJob[],
      listBatch: (batch) =>
        db.select().from(p).where(eq(p.exportBatch, batch)).orderBy(asc(p.createdAt)).all() as PrintJob[],
      markExported: (ids, batch, at) =>
        ids.length === 0
          ? 0
          : db
              .update(p)
              .set({ state: 'exported', exportBatch: batch, exportedAt: at })
              .where(and(inArray(p.id, [...ids]), eq(p.state, 'queued')))
              .run().changes,
      markHandedOver: (batch, at) =>
        db
          .update(p)
          .set({ state: 'handed_over', handedOverAt: at })
          .where(and(eq(p.exportBatch, batch), eq(p.state, 'exported')))
          .returning()
          .all() as PrintJob[],
    },
    notifications: {
      enqueue: (row) => db.insert(q).values(row).onConflictDoNothing().run().changes > 0,
      claim: (citizenId, at, staleBefore) =>
        (
          db
            .update(q)
            .set({ state: 'sending', claimedAt: at })
            .where(
              and(
                eq(q.citizenId, citizenId),
                or(eq(q.state, 'pending'), and(eq(q.state, 'sending'), lt(q.claimedAt, staleBefore))),
              ),
            )
            .returning()
            .all() as Notification[]
        ).sort(byAge),
      listByExternalId: (externalId) =>
        db
          .select()
          .from(q)
          .where(and(eq(q.externalId, externalId), eq(q.state, 'sent')))
          .all() as Notification[],
      markBounced: (ids, error) =>
        ids.length === 0
          ? 0
          : db
              .update(q)
              .set({ state: 'failed', error })
              .where(and(inArray(q.id, [...ids]), eq(q.state, 'sent')))
              .run().changes,
      listForMessage: (messageId) =>
        db.select().from(q).where(eq(q.messageId, messageId)).orderBy(asc(q.channel)).all() as Notification[],
      settle(ids, r) {
        if (ids.length === 0) return
        db.update(q)
          .set({
            state: r.state,
            attempts: sql`${q.attempts} + 1`,
            error: r.error ?? null,
            ...(r.state === 'sent' ? { sentAt: r.at, externalId: r.externalId ?? null } : {}),
          })
          .where(and(inArray(q.id, [...ids]), inArray(q.state, ['pending', 'sending'])))
          .run()
      },
    },
    postalAddresses: {
      get: (citizenId) =>
        one(
          db
            .select({ a: n.postalAddresses.addressEnc })
            .from(n.postalAddresses)
            .where(eq(n.postalAddresses.citizenId, citizenId))
            .all(),
        )?.a ?? null,
      put(citizenId, addressEnc, at) {
        db.insert(n.postalAddresses)
          .values({ citizenId, addressEnc, updatedAt: at })
          .onConflictDoUpdate({ target: n.postalAddresses.citizenId, set: { addressEnc, updatedAt: at } })
          .run()
      },
      delete: (citizenId) =>
        db.delete(n.postalAddresses).where(eq(n.postalAddresses.citizenId, citizenId)).run().changes > 0,
    },
  }
}
