import { and, asc, desc, eq, inArray, isNotNull, lt, or } from 'drizzle-orm'
import type { InboundMail, InboundRepo, InboundState } from '../inbound.port.ts'
import type { PgDb } from './repos.ts'
import { efileReplies as e, inboundMails as m } from './schema.inbound.ts'
import * as s from './schema.ts'

const toMail = (r: typeof m.$inferSelect): InboundMail => ({
  ...r,
  state: r.state as InboundState,
  channel: r.channel as InboundMail['channel'],
})

/** Inbound mail rows and the lookups that find a reply's thread. */
export function pgInboundRepo(db: PgDb): InboundRepo {
  return {
    async create(mail) {
      await db.insert(m).values(mail)
    },
    async get(id) {
      const [row] = await db.select().from(m).where(eq(m.id, id))
      return row ? toMail(row) : null
    },
    async settle(id, o) {
      const rows = await db
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
        .returning({ id: m.id })
      return rows.length > 0
    },
    async listForOffice(officeId, states, limit, before) {
      const rows = await db
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
      return rows.map(toMail)
    },
    async listRawBefore(cutoff, limit) {
      const rows = await db
        .select({ id: m.id, blobKey: m.blobKey })
        .from(m)
        .where(and(lt(m.receivedAt, cutoff), isNotNull(m.blobKey)))
        .orderBy(asc(m.receivedAt), asc(m.id))
        .limit(limit)
      return rows as { id: string; blobKey: string }[]
    },
    async dropRaw(id, blobKey) {
      const rows = await db
        .update(m)
        .set({ blobKey: null })
        .where(and(eq(m.id, id), eq(m.blobKey, blobKey)))
        .returning({ id: m.id })
      return rows.length > 0
    },
    async threadBySentMessageId(ids) {
      if (ids.length === 0) return null
      const d = s.deliveries
      const [row] = await db
        .select({ threadId: s.messages.threadId, officeId: s.messages.officeId })
        .from(d)
        .innerJoin(s.messages, eq(s.messages.id, d.messageId))
        .where(and(eq(d.destinationKind, 'email'), inArray(d.externalId, [...ids])))
        .limit(1)
      return row ?? null
    },
    async recordEfileReply(reply) {
      await db.insert(e).values(reply)
    },
    async findEfileReply(officeId, key) {
      const [row] = await db
        .select()
        .from(e)
        .where(and(eq(e.officeId, officeId), eq(e.idempotencyKey, key)))
      return row ?? null
    },
    async threadIdByReference(officeId, reference) {
      const [row] = await db
        .select({ id: s.threads.id })
        .from(s.threads)
        .where(and(eq(s.threads.officeId, officeId), eq(s.threads.reference, reference)))
      return row?.id ?? null
    },
  }
}
