import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Office } from '../../src/store/store.types.ts'
import { sweepServiceCenter } from '../../workers/handlers/service-center-sweep.handler.ts'
import type { TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import type { SignedIn } from '../helpers/citizen.ts'
import { createStaffToken, type Json, jsonRequest, readJson, type StaffToken } from '../helpers/staff.ts'
import { apiFor, citizenOf } from './postbox-fixtures.ts'
import { makeRoutingApp, officeWithRules, sendText, waitForDeliveries } from './routing-fixtures.ts'

const HOUR = 3_600_000

describeBackends('service center', (kind) => {
  let t: TestApp
  let office: Office
  let anna: StaffToken
  let ben: StaffToken
  let who: SignedIn
  const realClock = () => new Date()
  beforeAll(async () => {
    t = await makeRoutingApp(kind, { CLAIM_LEASE_MINUTES: '30', SERVICE_CENTER_SLA_HOURS: '48' })
    office = await officeWithRules(t, [
      {
        id: 'r-default',
        name: 'SC',
        match: {},
        destinations: [{ kind: 'queue', queue: 'allgemein' }],
        isDefault: true,
      },
    ])
    anna = await createStaffToken(t.deps, office.id, 'service_center_agent')
    ben = await createStaffToken(t.deps, office.id, 'service_center_agent')
    who = await citizenOf(t, office)
  })
  afterAll(async () => {
    t.deps.clock = realClock
    await t.close()
  })

  const call = (token: StaffToken, method: string, path: string, body?: unknown) =>
    t.app.request(`/v1/service-center/items${path}`, jsonRequest(method, token.headers(), body))
  const newItem = async (): Promise<{ itemId: string; messageId: string; threadId: string }> => {
    const sent = await sendText(t, who, { body: 'Wann ist mein Termin?' })
    const [d] = await waitForDeliveries(t, sent.messageId)
    return { itemId: d?.externalId ?? '', ...sent }
  }
  const shift = (ms: number) => {
    t.deps.clock = () => new Date(Date.now() + ms)
  }

  describe('happy', () => {
    it('lists the routed message as an open item of its queue, due after the SLA', async () => {
      const { itemId, messageId } = await newItem()
      const list = await readJson(await call(anna, 'GET', '?queue=allgemein&state=open'))
      const item = list.items.find((i: Json) => i.id === itemId)
      expect(item).toMatchObject({
        queue: 'allgemein',
        state: 'open',
        messageId,
        overdue: false,
        claimedBy: null,
      })
      expect(new Date(item.dueAt).getTime() - new Date(item.createdAt).getTime()).toBe(48 * HOUR)
    })

    it('claims, answers into the citizen’s thread, and the citizen sees forwarded then answered', async () => {
      const { itemId, threadId, messageId } = await newItem()
      const citizen = apiFor(t, who)
      const before = await readJson(await citizen.call('GET', `/v1/postbox/threads/${threadId}`))
      expect(before.messages[0]).toMatchObject({ id: messageId, status: 'forwarded' })

      expect((await call(anna, 'POST', `/${itemId}/claim`)).status).toBe(200)
      const detail = await readJson(await call(anna, 'GET', `/${itemId}`))
      expect(detail.thread.messages[0].body).toBe('Wann ist mein Termin?')
      const res = await call(anna, 'POST', `/${itemId}/reply`, { body: 'Am Montag um 10 Uhr.' })
      expect(res.status).toBe(201)
      const after = await readJson(await citizen.call('GET', `/v1/postbox/threads/${threadId}`))
      expect(after.messages.map((m: Json) => [m.direction, m.status])).toEqual([
        ['citizen_to_office', 'answered'],
        ['office_to_citizen', null],
      ])
      expect(after.messages[1].body).toBe('Am Montag um 10 Uhr.')
      const sent = await citizen.list({ folder: 'sent' })
      expect(sent.items.find((m) => m.id === messageId)?.status).toBe('answered')
      const items = await readJson(await call(anna, 'GET', '?state=answered'))
      expect(items.items.map((i: Json) => i.id)).toContain(itemId)
    })

    it('forwards an item to an inbox through routing and closes another', async () => {
      const fwd = await newItem()
      await call(anna, 'POST', `/${fwd.itemId}/claim`)
      const res = await call(anna, 'POST', `/${fwd.itemId}/forward`, {
        destination: { kind: 'email', address: 'leistung@jobcenter.example' },
      })
      expect(res.status).toBe(200)
      expect(await readJson(res)).toMatchObject({ state: 'forwarded', added: 1 })
      const ds = await waitForDeliveries(
        t,
        fwd.messageId,
        (d) => d.length === 2 && d.every((x) => x.state === 'delivered'),
      )
      expect(ds.map((d) => d.destination)).toEqual(['allgemein', 'leistung@jobcenter.example'])
      expect((await t.deps.store.routing.getMessage(fwd.messageId))?.routeDestinations).toEqual([
        'queue:allgemein',
        'email:leistung@jobcenter.example',
      ])

      const done = await newItem()
      await call(ben, 'POST', `/${done.itemId}/claim`)
      expect((await call(ben, 'POST', `/${done.itemId}/close`)).status).toBe(200)
      const again = await call(anna, 'POST', `/${done.itemId}/claim`)
      expect(again.status).toBe(409)
      expect((await readJson(again)).code).toBe('service_center.finished')
    })

    it('shows each delivery’s receipt on the office’s thread read', async () => {
      const { threadId, itemId } = await newItem()
      const caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
      const thread = await readJson(
        await t.app.request(`/v1/office/threads/${threadId}`, jsonRequest('GET', caseworker.headers())),
      )
      expect(thread.messages[0].routeRuleId).toBe('r-default')
      expect(thread.messages[0].deliveries).toEqual([
        expect.objectContaining({
          kind: 'queue',
          destination: 'allgemein',
          state: 'delivered',
          externalId: itemId,
        }),
      ])
      expect(thread.messages[0].deliveries[0].deliveredAt).not.toBeNull()
    })
  })

  describe('claims and leases', () => {
    it('lets exactly one of two agents claiming at once win; the other gets 409', async () => {
      for (let round = 0; round < 5; round++) {
        const { itemId } = await newItem()
        const [a, b] = await Promise.all([
          call(anna, 'POST', `/${itemId}/claim`),
          call(ben, 'POST', `/${itemId}/claim`),
        ])
        expect([a.status, b.status].sort()).toEqual([200, 409])
        const loser = a.status === 409 ? a : b
        expect((await readJson(loser)).code).toBe('service_center.claimed_by_other')
        const item = await t.deps.store.serviceCenter.get(office.id, itemId)
        expect(item?.claimedBy).toBe(a.status === 200 ? anna.staffId : ben.staffId)
      }
    })

    it('returns an unanswered claim to the queue after the lease; the first agent can no longer answer', async () => {
      const { itemId } = await newItem()
      expect((await call(anna, 'POST', `/${itemId}/claim`)).status).toBe(200)
      expect((await call(ben, 'POST', `/${itemId}/claim`)).status).toBe(409)
      shift(31 * 60_000)
      try {
        const open = await readJson(await call(ben, 'GET', '?state=open'))
        expect(open.items.find((i: Json) => i.id === itemId)).toMatchObject({
          state: 'open',
          claimedBy: null,
        })
        const late = await call(anna, 'POST', `/${itemId}/reply`, { body: 'zu spät' })
        expect(late.status).toBe(409)
        expect((await readJson(late)).code).toBe('service_center.not_claimed')
        await sweepServiceCenter(t.deps, {}, { log: t.deps.log } as never)
        const row = await t.deps.store.serviceCenter.get(office.id, itemId)
        expect(row).toMatchObject({ state: 'open', claimedBy: null, leaseUntil: null })
        expect((await call(ben, 'POST', `/${itemId}/claim`)).status).toBe(200)
      } finally {
        t.deps.clock = realClock
      }
    })

    it('marks items past their due date overdue in the scheduled sweep', async () => {
      const { itemId } = await newItem()
      expect(
        (await readJson(await call(anna, 'GET', '?overdue=true'))).items.map((i: Json) => i.id),
      ).not.toContain(itemId)
      shift(49 * HOUR)
      try {
        await sweepServiceCenter(t.deps, {}, { log: t.deps.log } as never)
        const overdue = await readJson(await call(anna, 'GET', '?overdue=true'))
        expect(overdue.items.map((i: Json) => i.id)).toContain(itemId)
      } finally {
        t.deps.clock = realClock
      }
    })
  })

  describe('error and security', () => {
    it('refuses answering without a claim, an empty answer, and unknown items', async () => {
      const { itemId } = await newItem()
      const res = await call(anna, 'POST', `/${itemId}/reply`, { body: 'Hallo' })
      expect(res.status).toBe(409)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
      const body = await readJson(res)
      expect(body.detail).toContain('Übernehmen')
      expect(body.detail).toContain('Claim the item')
      await call(anna, 'POST', `/${itemId}/claim`)
      expect((await call(anna, 'POST', `/${itemId}/reply`, { body: '   ' })).status).toBe(422)
      expect((await call(anna, 'POST', '/00000000-0000-4000-8000-000000000000/claim')).status).toBe(404)
      expect((await call(anna, 'POST', '/not-an-id/claim')).status).toBe(404)
    })

    it('keeps items to their office and to service-center agents', async () => {
      const { itemId } = await newItem()
      const other = await officeWithRules(t, [
        {
          id: 'r',
          name: 'x',
          match: {},
          destinations: [{ kind: 'queue', queue: 'allgemein' }],
          isDefault: true,
        },
      ])
      const foreign = await createStaffToken(t.deps, other.id, 'service_center_agent')
      expect((await call(foreign, 'POST', `/${itemId}/claim`)).status).toBe(404)
      expect((await call(foreign, 'GET', `/${itemId}`)).status).toBe(404)
      expect((await readJson(await call(foreign, 'GET', ''))).items).toEqual([])
      const caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
      expect((await call(caseworker, 'POST', `/${itemId}/claim`)).status).toBe(403)
    })
  })
})
