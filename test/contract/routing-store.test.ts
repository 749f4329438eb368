import { randomBytes, randomUUID } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { AnyStore } from '../../src/store/create-store.ts'
import {
  type BackendKind,
  describeBackends,
  makeTestDatabase,
  type TestDatabase,
} from '../helpers/backends.ts'
import { newCitizen, newOffice, openStore } from './store.contract.ts'

const T0 = new Date('2030-05-06T07:08:09.000Z')
const at = (s: number) => new Date(T0.getTime() + s * 1000)

/** Routing repositories on every backend: at-most-once claims, settling only what is sending, replay only of failed. */
function runRoutingStoreContract(kind: BackendKind) {
  let database: TestDatabase
  let store: AnyStore
  let officeId: string
  let messageId: string
  let threadId: string

  beforeEach(async () => {
    database = await makeTestDatabase(kind)
    store = openStore(database.url)
    await store.migrate()
    officeId = (await store.offices.create(newOffice('JC-R'))).id
    const citizenId = (await store.citizens.create(newCitizen(officeId))).id
    threadId = randomUUID()
    messageId = randomUUID()
    await store.postbox.createThread({
      id: threadId,
      citizenId,
      officeId,
      category: 'general',
      reference: `R-${threadId}`,
      subjectEnc: randomBytes(16),
      createdAt: T0,
      updatedAt: T0,
    })
    await store.postbox.insertMessage(
      {
        id: messageId,
        threadId,
        citizenId,
        officeId,
        direction: 'citizen_to_office',
        kind: 'message',
        state: 'submitted',
        citizenFolder: 'sent',
        bodyEnc: randomBytes(16),
        createdAt: T0,
        sentAt: T0,
        readAt: T0,
        retrievedAt: null,
        trashedAt: null,
      },
      [],
    )
  })
  afterEach(async () => {
    await store.close()
    await database.cleanup()
  })

  const delivery = async (destination = 'q') => {
    const id = randomUUID()
    await store.deliveries.insert({ id, messageId, destinationKind: 'queue', destination, createdAt: T0 })
    return id
  }

  it('records a route once and refuses a second delivery to the same destination', async () => {
    expect(await store.routing.recordRoute(messageId, 'r1', ['queue:q'])).toBe(true)
    expect(await store.routing.recordRoute(messageId, 'r2', ['queue:x'])).toBe(false)
    expect(await store.routing.getMessage(messageId)).toMatchObject({ routeRuleId: 'r1', state: 'routed' })
    await delivery('q')
    expect(
      await store.deliveries.insert({
        id: randomUUID(),
        messageId,
        destinationKind: 'queue',
        destination: 'q',
        createdAt: T0,
      }),
    ).toBe(false)
    const facts = await store.routing.getRoutingFacts(messageId)
    expect(facts).toMatchObject({ category: 'general', attachmentCount: 0, office: { id: officeId } })
  })

  it('routes straight to delivered with a delivery written delivered, which no claim takes again', async () => {
    expect(await store.routing.recordRoute(messageId, 'r1', ['queue:q'], 'delivered')).toBe(true)
    expect(await store.routing.getMessage(messageId)).toMatchObject({ routeRuleId: 'r1', state: 'delivered' })
    const id = randomUUID()
    const input = { id, messageId, destinationKind: 'queue' as const, destination: 'q', createdAt: T0 }
    expect(await store.deliveries.insert({ ...input, delivered: { externalId: id } })).toBe(true)
    expect(await store.deliveries.get(id)).toMatchObject({
      state: 'delivered',
      attempts: 1,
      externalId: id,
      error: null,
      deliveredAt: T0,
      updatedAt: T0,
    })
    expect(await store.deliveries.claim(id, at(1), at(1))).toBeNull()
    expect(
      await store.deliveries.insert({ ...input, id: randomUUID(), delivered: { externalId: null } }),
    ).toBe(false)
  })

  it('lets one of many concurrent claims of a delivery win, settles only a sending one, replays only a failed one', async () => {
    const id = await delivery()
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => store.deliveries.claim(id, at(1), at(0))),
    )
    expect(claims.filter(Boolean)).toHaveLength(1)
    expect(await store.deliveries.requeue(id, at(2))).toBe(false)
    expect(await store.deliveries.settle(id, { state: 'failed', error: 'HTTP 400' }, at(2))).toBe(true)
    expect(await store.deliveries.settle(id, { state: 'delivered', externalId: 'x' }, at(3))).toBe(false)
    expect(await store.deliveries.requeue(id, at(4))).toBe(true)
    expect(await store.deliveries.get(id)).toMatchObject({ state: 'pending', attempts: 0, error: 'HTTP 400' })
    await store.deliveries.claim(id, at(5), at(0))
    await store.deliveries.settle(id, { state: 'delivered', externalId: 'EA-1' }, at(6))
    expect(await store.deliveries.requeue(id, at(7))).toBe(false)
    expect(await store.deliveries.claim(id, at(8), at(8))).toBeNull()
    expect(await store.deliveries.get(id)).toMatchObject({
      state: 'delivered',
      externalId: 'EA-1',
      error: null,
    })
  })

  it('takes a stale sending delivery back only after staleBefore', async () => {
    const id = await delivery()
    expect(await store.deliveries.claim(id, at(10), at(0))).not.toBeNull()
    expect(await store.deliveries.claim(id, at(11), at(5))).toBeNull()
    expect(await store.deliveries.claim(id, at(200), at(50))).toMatchObject({ attempts: 2 })
  })

  it('gives a service-center item to exactly one of many concurrent claimers, until its lease runs out', async () => {
    const deliveryId = await delivery()
    const itemId = randomUUID()
    const item = {
      id: itemId,
      officeId,
      deliveryId,
      messageId,
      threadId,
      queue: 'q',
      dueAt: at(3600),
      createdAt: T0,
    }
    expect(await store.serviceCenter.insert(item)).toBe(true)
    expect(await store.serviceCenter.insert({ ...item, id: randomUUID() })).toBe(false)
    const agents = Array.from({ length: 8 }, () => randomUUID())
    const won = await Promise.all(
      agents.map((a) => store.serviceCenter.claim(officeId, itemId, a, at(1), at(61))),
    )
    expect(won.filter(Boolean)).toHaveLength(1)
    const holder = won.find(Boolean)?.claimedBy ?? ''
    const other = agents.find((a) => a !== holder) ?? ''
    expect(await store.serviceCenter.finish(officeId, itemId, other, 'closed', at(2))).toBe(false)
    expect(await store.serviceCenter.claim(officeId, itemId, other, at(62), at(122))).toMatchObject({
      claimedBy: other,
    })
    expect(await store.serviceCenter.finish(officeId, itemId, holder, 'answered', at(63))).toBe(false)
    expect(await store.serviceCenter.finish(officeId, itemId, other, 'answered', at(63))).toBe(true)
    expect(await store.serviceCenter.claim(officeId, itemId, holder, at(64), at(124))).toBeNull()
    expect(await store.serviceCenter.get('another-office', itemId)).toBeNull()
  })

  it('sweeps overdue items and expired leases', async () => {
    const deliveryId = await delivery()
    const itemId = randomUUID()
    await store.serviceCenter.insert({
      id: itemId,
      officeId,
      deliveryId,
      messageId,
      threadId,
      queue: 'q',
      dueAt: at(100),
      createdAt: T0,
    })
    await store.serviceCenter.claim(officeId, itemId, 'agent', at(1), at(50))
    expect(await store.serviceCenter.sweep(at(10))).toEqual({ overdue: 0, released: 0 })
    expect(await store.serviceCenter.sweep(at(60))).toEqual({ overdue: 0, released: 1 })
    expect(await store.serviceCenter.sweep(at(101))).toEqual({ overdue: 1, released: 0 })
    expect(
      await store.serviceCenter.list({ officeId, overdue: true, state: 'open', now: at(102), limit: 10 }),
    ).toEqual([expect.objectContaining({ id: itemId, state: 'open', overdue: true, claimedBy: null })])
  })
}

describeBackends('routing store contract', runRoutingStoreContract)
