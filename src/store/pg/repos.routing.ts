import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, ne, or, type SQL, sql } from 'drizzle-orm'
import type { Delivery, RoutedMessage, RuleVersion, ServiceCenterItem } from '../routing.port.ts'
import type { Repos } from '../store.port.ts'
import { toOffice } from './mappers.ts'
import { insertStatement, statement } from './prepared.ts'
import type { PgDb } from './repos.ts'
import { routingRuleVersions as rv, serviceCenterItems as sc } from './schema.routing.ts'
import * as s from './schema.ts'

const m = s.messages
const d = s.deliveries
const attachmentCount =
  sql<number>`(select count(*) from ${s.attachments} where ${s.attachments.messageId} = ${m.id})`.mapWith(
    Number,
  )
const CITIZEN_MESSAGE_OPEN = ['submitted', 'routed', 'delivered', 'failed'] as const

const first = <T>(rows: unknown[]): T | null => (rows[0] as T | undefined) ?? null

const routingFacts = statement((db) =>
  db
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
    .where(eq(m.id, sql.placeholder('id')))
    .prepare('pk_routing_facts'),
)

const at = (name: string) => sql.placeholder(name)

// The writes of every routed message, as named statements (see prepared.ts).
const recordRoute = statement((db) =>
  db
    .update(m)
    .set({
      routeRuleId: sql`${at('ruleId')}`,
      routeDestinations: sql`${at('destinations')}::jsonb`,
      state: sql`${at('state')}`,
    })
    .where(and(eq(m.id, at('id')), eq(m.state, 'submitted'), isNull(m.routeRuleId)))
    .returning({ id: m.id })
    .prepare('pk_route_record'),
)
const setMessageState = statement((db) =>
  db
    .update(m)
    .set({ state: sql`${at('state')}` })
    .where(and(eq(m.id, at('id')), sql`${m.state} = any(${at('from')}::text[])`))
    .returning({ id: m.id })
    .prepare('pk_message_state'),
)
const deliveryRow = insertStatement<unknown[]>('pk_insert_delivery', (db, v) =>
  db
    .insert(d)
    .values(v as never)
    .onConflictDoNothing()
    .returning({ id: d.id }),
)
const itemRow = insertStatement<unknown[]>('pk_insert_sc_item', (db, v) =>
  db
    .insert(sc)
    .values(v as never)
    .onConflictDoNothing()
    .returning({ id: sc.id }),
)

/** Routing, deliveries and service-center items on PostgreSQL; the same queries as sqlite/repos.routing.ts. */
export function pgRoutingRepos(db: PgDb): Pick<Repos, 'routing' | 'deliveries' | 'serviceCenter'> {
  return {
    routing: {
      async deferFlush() {
        await db.execute(sql`set local synchronous_commit = off`)
      },
      async setRules(officeId, rules, baseVersion) {
        const where = and(
          eq(s.offices.id, officeId),
          ...(baseVersion === null ? [] : [eq(s.offices.routingVersion, baseVersion)]),
        )
        const [row] = await db
          .update(s.offices)
          .set({ routingRules: rules, routingVersion: sql`${s.offices.routingVersion} + 1` })
          .where(where)
          .returning({ version: s.offices.routingVersion })
        return row?.version ?? null
      },
      async saveRuleVersion(v) {
        await db.insert(rv).values(v)
      },
      getRuleVersion: async (officeId, version) =>
        first<RuleVersion>(
          await db
            .select()
            .from(rv)
            .where(and(eq(rv.officeId, officeId), eq(rv.version, version))),
        ),
      setEfileEndpoint: async (officeId, url) =>
        (
          await db
            .update(s.offices)
            .set({ efileEndpoint: url })
            .where(eq(s.offices.id, officeId))
            .returning({ id: s.offices.id })
        ).length > 0,
      getMessage: async (id) => first<RoutedMessage>(await db.select().from(m).where(eq(m.id, id))),
      async getRoutingFacts(id) {
        const [row] = await routingFacts(db).execute({ id })
        if (!row) return null
        const { m: message, o, ...rest } = row
        return { ...rest, message: message as RoutedMessage, office: toOffice(row.o) }
      },
      getMessageForOffice: async (officeId, id) =>
        first<RoutedMessage>(
          await db
            .select()
            .from(m)
            .where(and(eq(m.officeId, officeId), eq(m.id, id), ne(m.state, 'draft'))),
        ),
      recordRoute: async (id, ruleId, destinations, state = 'routed') =>
        (await recordRoute(db).execute({ id, ruleId, destinations: JSON.stringify(destinations), state }))
          .length > 0,
      recordReroute: async (id, ruleId, destinations) =>
        (
          await db
            .update(m)
            .set({ routeRuleId: ruleId, routeDestinations: destinations })
            .where(and(eq(m.id, id), ne(m.state, 'draft')))
            .returning({ id: m.id })
        ).length > 0,
      setMessageState: async (id, state, from) =>
        (await setMessageState(db).execute({ id, state, from: [...from] })).length > 0,
      markAnswered: async (threadId, at) =>
        (
          await db
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
            .returning({ id: m.id })
        ).length,
    },
    deliveries: {
      async insert(input) {
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
        return (await deliveryRow(db, row)).length > 0
      },
      get: async (id) => first<Delivery>(await db.select().from(d).where(eq(d.id, id))),
      getForOffice: async (officeId, id) =>
        (
          await db
            .select({ d })
            .from(d)
            .innerJoin(m, eq(m.id, d.messageId))
            .where(and(eq(d.id, id), eq(m.officeId, officeId)))
        ).map((r) => r.d as Delivery)[0] ?? null,
      listForMessage: async (messageId) =>
        (await db
          .select()
          .from(d)
          .where(eq(d.messageId, messageId))
          .orderBy(asc(d.createdAt), asc(d.id))) as Delivery[],
      async list(q) {
        const where: SQL[] = []
        if (q.state) where.push(eq(d.state, q.state))
        if (q.officeId) where.push(eq(m.officeId, q.officeId))
        const rows = await db
          .select({ d })
          .from(d)
          .innerJoin(m, eq(m.id, d.messageId))
          .where(and(...where))
          .orderBy(desc(d.createdAt), desc(d.id))
          .limit(q.limit)
        return rows.map((r) => r.d as Delivery)
      },
      claim: async (id, now, staleBefore) =>
        first<Delivery>(
          await db
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
            .returning(),
        ),
      settle: async (id, outcome, now) =>
        (
          await db
            .update(d)
            .set({
              state: outcome.state,
              updatedAt: now,
              ...(outcome.externalId === undefined ? {} : { externalId: outcome.externalId }),
              ...(outcome.error === undefined ? {} : { error: outcome.error }),
              ...(outcome.state === 'delivered' ? { deliveredAt: now, error: null } : {}),
            })
            .where(and(eq(d.id, id), eq(d.state, 'sending')))
            .returning({ id: d.id })
        ).length > 0,
      requeue: async (id, now) =>
        (
          await db
            .update(d)
            .set({ state: 'pending', attempts: 0, updatedAt: now })
            .where(and(eq(d.id, id), eq(d.state, 'failed')))
            .returning({ id: d.id })
        ).length > 0,
    },
    serviceCenter: {
      async insert(item) {
        const row = {
          ...item,
          state: 'open' as const,
          claimedBy: null,
          leaseUntil: null,
          overdue: false,
          updatedAt: item.createdAt,
          closedAt: null,
        }
        return (await itemRow(db, row)).length > 0
      },
      get: async (officeId, id) =>
        first<ServiceCenterItem>(
          await db
            .select()
            .from(sc)
            .where(and(eq(sc.officeId, officeId), eq(sc.id, id))),
        ),
      async list(q) {
        const where: SQL[] = [eq(sc.officeId, q.officeId)]
        if (q.queue) where.push(eq(sc.queue, q.queue))
        if (q.overdue !== undefined) where.push(eq(sc.overdue, q.overdue))
        if (q.state === 'open')
          where.push(or(eq(sc.state, 'open'), and(eq(sc.state, 'claimed'), lt(sc.leaseUntil, q.now))) as SQL)
        else if (q.state === 'claimed') where.push(eq(sc.state, 'claimed'), gte(sc.leaseUntil, q.now))
        else if (q.state) where.push(eq(sc.state, q.state))
        return (await db
          .select()
          .from(sc)
          .where(and(...where))
          .orderBy(asc(sc.dueAt), asc(sc.id))
          .limit(q.limit)) as ServiceCenterItem[]
      },
      claim: async (officeId, id, staffId, now, leaseUntil) =>
        first<ServiceCenterItem>(
          await db
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
            .returning(),
        ),
      finish: async (officeId, id, staffId, state, now) =>
        (
          await db
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
            .returning({ id: sc.id })
        ).length > 0,
      async sweep(now) {
        const overdue = await db
          .update(sc)
          .set({ overdue: true, updatedAt: now })
          .where(and(inArray(sc.state, ['open', 'claimed']), eq(sc.overdue, false), lt(sc.dueAt, now)))
          .returning({ id: sc.id })
        const released = await db
          .update(sc)
          .set({ state: 'open', claimedBy: null, leaseUntil: null, updatedAt: now })
          .where(and(eq(sc.state, 'claimed'), lt(sc.leaseUntil, now)))
          .returning({ id: sc.id })
        return { overdue: overdue.length, released: released.length }
      },
    },
  }
}
