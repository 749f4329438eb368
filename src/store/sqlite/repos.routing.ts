import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, ne, or, type SQL, sql } from 'drizzle-orm'
import type { Delivery, RoutedMessage, RuleVersion, ServiceCenterItem } from '../routing.port.ts'
import type { Office } from '../store.types.ts'
import type { SqliteDb, SyncRepos } from './repos.ts'
import { routingRuleVersions as rv, serviceCenterItems as sc } from './schema.routing.ts'
import * as s from './schema.ts'

const m = s.messages
const d = s.deliveries
const attachmentCount =
  sql<number>`(select count(*) from ${s.attachments} where ${s.attachments.messageId} = ${m.id})`.mapWith(
    Number,
  )
const CITIZEN_MESSAGE_OPEN = ['submitted', 'routed', 'delivered', 'failed'] as const

/** Routing, deliveries and service-center items; synchronous like every SQLite repository. */
export function sqliteRoutingRepos(
  db: SqliteDb,
): Pick<SyncRepos, 'routing' | 'deliveries' | 'serviceCenter'> {
  const getDelivery = (id: string) =>
    (db.select().from(d).where(eq(d.id, id)).all()[0] as Delivery | undefined) ?? null
  const getItem = (officeId: string, id: string) =>
    (db
      .select()
      .from(sc)
      .where(and(eq(sc.officeId, officeId), eq(sc.id, id)))
      .all()[0] as ServiceCenterItem | undefined) ?? null
  return {
    routing: {
      // One local file, one writer: a commit is already cheap, and the job row commits with it.
      deferFlush() {},
      setRules(officeId, rules, baseVersion) {
        const where = and(
          eq(s.offices.id, officeId),
          ...(baseVersion === null ? [] : [eq(s.offices.routingVersion, baseVersion)]),
        )
        const row = db
          .update(s.offices)
          .set({ routingRules: rules, routingVersion: sql`${s.offices.routingVersion} + 1` })
          .where(where)
          .returning({ version: s.offices.routingVersion })
          .all()[0]
        return row?.version ?? null
      },
      saveRuleVersion: (v) => void db.insert(rv).values(v).run(),
      getRuleVersion: (officeId, version) =>
        (db
          .select()
          .from(rv)
          .where(and(eq(rv.officeId, officeId), eq(rv.version, version)))
          .all()[0] as RuleVersion | undefined) ?? null,
      setEfileEndpoint: (officeId, url) =>
        db.update(s.offices).set({ efileEndpoint: url }).where(eq(s.offices.id, officeId)).run().changes > 0,
      getMessage: (id) =>
        (db.select().from(m).where(eq(m.id, id)).all()[0] as RoutedMessage | undefined) ?? null,
      getRoutingFacts(id) {
        const row = db
          .select({
            m,
            o: s.offices,
            category: s.threads.category,
            subjectEnc: s.threads.subjectEnc,
            attachmentCount,
          })
          .from(m)
          .innerJoin(s.threads, eq(s.threads.id, m.threadId))
          .innerJoin(s.offices, eq(s.offices.id, m.officeId))
          .where(eq(m.id, id))
          .all()[0]
        if (!row) return null
        const { m: message, o, ...rest } = row
        return { ...rest, message: message as RoutedMessage, office: row.o as Office }
      },
      getMessageForOffice: (officeId, id) =>
        (db
          .select()
          .from(m)
          .where(and(eq(m.officeId, officeId), eq(m.id, id), ne(m.state, 'draft')))
          .all()[0] as RoutedMessage | undefined) ?? null,
      recordRoute: (id, ruleId, destinations, state = 'routed') =>
        db
          .update(m)
          .set({ routeRuleId: ruleId, routeDestinations: destinations, state })
          .where(and(eq(m.id, id), eq(m.state, 'submitted'), isNull(m.routeRuleId)))
          .run().changes > 0,
      recordReroute: (id, ruleId, destinations) =>
        db
          .update(m)
          .set({ routeRuleId: ruleId, routeDestinations: destinations })
          .where(and(eq(m.id, id), ne(m.state, 'draft')))
          .run().changes > 0,
      setMessageState: (id, state, from) =>
        db
          .update(m)
          .set({ state })
          .where(and(eq(m.id, id), inArray(m.state, [...from])))
          .run().changes > 0,
      markAnswered: (threadId, at) =>
        db
          .update(m)
          .set({ state: 'answered' })
          .where(
            and(
              eq(m.threadId, threadId),
              eq(m.direction, 'citizen_to_office'),
              inArray(m.state, [...CITIZEN_MESSAGE_OPEN]),
              lte(m.createdAt, at),
            ),
          )
          .run().changes,
    },
    deliveries: {
      insert(input) {
        const { delivered, ...fields } = input
        const row = {
          ...fields,
          state: delivered ? ('delivered' as const) : ('pending' as const),
          attempts: delivered ? 1 : 0,
          externalId: delivered?.externalId ?? null,
          error: null,
          updatedAt: input.createdAt,
          deliveredAt: delivered ? input.createdAt : null,
        }
        return db.insert(d).values(row).onConflictDoNothing().run().changes > 0
      },
      get: getDelivery,
      getForOffice: (officeId, id) =>
        (db
          .select({ d })
          .from(d)
          .innerJoin(m, eq(m.id, d.messageId))
          .where(and(eq(d.id, id), eq(m.officeId, officeId)))
          .all()[0]?.d as Delivery | undefined) ?? null,
      listForMessage: (messageId) =>
        db
          .select()
          .from(d)
          .where(eq(d.messageId, messageId))
          .orderBy(asc(d.createdAt), asc(d.id))
          .all() as Delivery[],
      list(q) {
        const where: SQL[] = []
        if (q.state) where.push(eq(d.state, q.state))
        if (q.officeId) where.push(eq(m.officeId, q.officeId))
        return db
          .select({ d })
          .from(d)
          .innerJoin(m, eq(m.id, d.messageId))
          .where(and(...where))
          .orderBy(desc(d.createdAt), desc(d.id))
          .limit(q.limit)
          .all()
          .map((r) => r.d as Delivery)
      },
      claim(id, now, staleBefore) {
        const row = db
          .update(d)
          .set({ state: 'sending', attempts: sql`${d.attempts} + 1`, updatedAt: now })
          .where(
            and(
              eq(d.id, id),
              or(
                inArray(d.state, ['pending', 'retrying']),
                and(eq(d.state, 'sending'), lt(d.updatedAt, staleBefore)),
              ),
            ),
          )
          .returning()
          .all()[0]
        return (row as Delivery | undefined) ?? null
      },
      settle: (id, outcome, now) =>
        db
          .update(d)
          .set({
            state: outcome.state,
            updatedAt: now,
            ...(outcome.externalId === undefined ? {} : { externalId: outcome.externalId }),
            ...(outcome.error === undefined ? {} : { error: outcome.error }),
            ...(outcome.state === 'delivered' ? { deliveredAt: now, error: null } : {}),
          })
          .where(and(eq(d.id, id), eq(d.state, 'sending')))
          .run().changes > 0,
      requeue: (id, now) =>
        db
          .update(d)
          .set({ state: 'pending', attempts: 0, updatedAt: now })
          .where(and(eq(d.id, id), eq(d.state, 'failed')))
          .run().changes > 0,
    },
    serviceCenter: {
      insert(item) {
        const row = {
          ...item,
          state: 'open' as const,
          claimedBy: null,
          leaseUntil: null,
          overdue: false,
          updatedAt: item.createdAt,
          closedAt: null,
        }
        return db.insert(sc).values(row).onConflictDoNothing().run().changes > 0
      },
      get: getItem,
      list(q) {
        const where: SQL[] = [eq(sc.officeId, q.officeId)]
        if (q.queue) where.push(eq(sc.queue, q.queue))
        if (q.overdue !== undefined) where.push(eq(sc.overdue, q.overdue))
        if (q.state === 'open')
          where.push(or(eq(sc.state, 'open'), and(eq(sc.state, 'claimed'), lt(sc.leaseUntil, q.now))) as SQL)
        else if (q.state === 'claimed') where.push(eq(sc.state, 'claimed'), gte(sc.leaseUntil, q.now))
        else if (q.state) where.push(eq(sc.state, q.state))
        return db
          .select()
          .from(sc)
          .where(and(...where))
          .orderBy(asc(sc.dueAt), asc(sc.id))
          .limit(q.limit)
          .all() as ServiceCenterItem[]
      },
      claim(officeId, id, staffId, now, leaseUntil) {
        const row = db
          .update(sc)
          .set({ state: 'claimed', claimedBy: staffId, leaseUntil, updatedAt: now })
          .where(
            and(
              eq(sc.officeId, officeId),
              eq(sc.id, id),
              or(
                eq(sc.state, 'open'),
                and(eq(sc.state, 'claimed'), or(lt(sc.leaseUntil, now), eq(sc.claimedBy, staffId))),
              ),
            ),
          )
          .returning()
          .all()[0]
        return (row as ServiceCenterItem | undefined) ?? null
      },
      finish: (officeId, id, staffId, state, now) =>
        db
          .update(sc)
          .set({ state, updatedAt: now, closedAt: now, leaseUntil: null })
          .where(
            and(
              eq(sc.officeId, officeId),
              eq(sc.id, id),
              eq(sc.state, 'claimed'),
              eq(sc.claimedBy, staffId),
              gte(sc.leaseUntil, now),
            ),
          )
          .run().changes > 0,
      sweep(now) {
        const overdue = db
          .update(sc)
          .set({ overdue: true, updatedAt: now })
          .where(and(inArray(sc.state, ['open', 'claimed']), eq(sc.overdue, false), lt(sc.dueAt, now)))
          .run().changes
        const released = db
          .update(sc)
          .set({ state: 'open', claimedBy: null, leaseUntil: null, updatedAt: now })
          .where(and(eq(sc.state, 'claimed'), lt(sc.leaseUntil, now)))
          .run().changes
        return { overdue, released }
      },
    },
  }
}
