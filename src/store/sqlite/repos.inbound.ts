import { and, asc, desc, eq, inArray, isNotNull, lt, or } from 'drizzle-orm'
import type { InboundMail } from '../inbound.port.ts'
import type { SqliteDb, SyncRepos } from './repos.ts'
import { efileReplies as e, inboundMails as m } from './schema.inbound.ts'
import * as s from './schema.ts'

/** Inbound mail rows and the lookups that find a reply's thread. */
export function sqliteInboundRepo(db: SqliteDb): SyncRepos['inbound'] {
  return {
    create(mail) {
      db.insert(m).values(mail).run()
    },
    get: (id) => (db.select().from(m).where(eq(m.id, id)).all()[0] as InboundMail | undefined) ?? null,
    settle: (id, o) =>
      db
        .update(m)
        .set({
          state: o.state,
          reason: o.reason ?? null,
          threadId: o.threadId ?? null,
          messageId: o.messageId ?? null,
          processedAt: o.at,
          ...(o.dropBlob ? { blobKey: null } : {}),
        })
        .where(and(eq(m.id, id), eq(m.state, 'received')))
        .run().changes > 0,
    listForOffice: (officeId, states, limit, before) =>
      db
        .select()
        .from(m)
        .where(
          and(
            eq(m.officeId, officeId),
            inArray(m.state, [...states]),
            before
              ? or(
                  lt(m.receivedAt, before.receivedAt),
                  and(eq(m.receivedAt, before.receivedAt), lt(m.id, before.id)),
                )
              : undefined,
          ),
        )
        .orderBy(desc(m.receivedAt), desc(m.id))
        .limit(limit)
        .all() as InboundMail[],
    listRawBefore: (cutoff, limit) =>
      db
        .select({ id: m.id, blobKey: m.blobKey })
        .from(m)
        .where(and(lt(m.receivedAt, cutoff), isNotNull(m.blobKey)))
        .orderBy(asc(m.receivedAt), asc(m.id))
        .limit(limit)
        .all() as { id: string; blobKey: string }[],
    dropRaw: (id, blobKey) =>
      db
        .update(m)
        .set({ blobKey: null })
        .where(and(eq(m.id, id), eq(m.blobKey, blobKey)))
        .run().changes > 0,
    threadBySentMessageId(ids) {
      if (ids.length === 0) return null
      const d = s.deliveries
      return (
        db
          .select({ threadId: s.messages.threadId, officeId: s.messages.officeId })
          .from(d)
          .innerJoin(s.messages, eq(s.messages.id, d.messageId))
          .where(and(eq(d.destinationKind, 'email'), inArray(d.externalId, [...ids])))
          .limit(1)
          .all()[0] ?? null
      )
    },
    recordEfileReply(reply) {
      db.insert(e).values(reply).run()
    },
    findEfileReply: (officeId, key) =>
      db
        .select()
        .from(e)
        .where(and(eq(e.officeId, officeId), eq(e.idempotencyKey, key)))
        .all()[0] ?? null,
    threadIdByReference: (officeId, reference) =>
      db
        .select({ id: s.threads.id })
        .from(s.threads)
        .where(and(eq(s.threads.officeId, officeId), eq(s.threads.reference, reference)))
        .all()[0]?.id ?? null,
  }
}
