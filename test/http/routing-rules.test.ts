import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoRoutingRules } from '../../src/features/demo/demo.seed.ts'
import { ruleSetInput } from '../../src/features/routing/routing.schemas.ts'
import { validateRules } from '../../src/features/routing/routing.service.ts'
import type { RoutingRule } from '../../src/store/store.types.ts'
import type { TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createOffice, createStaffToken, type Json, jsonRequest, readJson } from '../helpers/staff.ts'
import { citizenOf } from './postbox-fixtures.ts'
import {
  makeRoutingApp,
  officeWithRules,
  queueDefault,
  sendText,
  waitForDeliveries,
} from './routing-fixtures.ts'

const rules: RoutingRule[] = [
  {
    id: 'r-objection',
    name: 'Widersprüche',
    match: { categories: ['objection'] },
    destinations: [{ kind: 'efile' }],
  },
  {
    id: 'r-housing',
    name: 'Wohnen',
    match: { keywords: ['Miete', 'Nebenkostenabrechnung'] },
    destinations: [{ kind: 'queue', queue: 'wohnen', slaHours: 4 }],
  },
  {
    id: 'r-change',
    name: 'VÄM ohne Dateien',
    match: { categories: ['change_notice'], hasAttachments: false, kinds: ['message'] },
    destinations: [
      { kind: 'queue', queue: 'leistung' },
      { kind: 'queue', queue: 'team-nord' },
    ],
  },
  queueDefault(),
]

describeBackends('routing rules', (kind) => {
  let t: TestApp
  beforeAll(async () => {
    t = await makeRoutingApp(kind)
  })
  afterAll(() => t.close())

  const put = (officeId: string, headers: Record<string, string>, body: unknown) =>
    t.app.request(`/v1/admin/offices/${officeId}/routing-rules`, jsonRequest('PUT', headers, body))

  describe('happy', () => {
    it('stores a rule set, bumps its version, audit-logs the change and reads it back', async () => {
      const office = await createOffice(t.deps)
      const admin = await createStaffToken(t.deps, office.id, 'office_admin')
      const res = await put(office.id, admin.headers(), { rules, baseVersion: 1 })
      expect(res.status).toBe(200)
      expect(await readJson(res)).toMatchObject({ version: 2 })
      const again = await put(office.id, admin.headers(), { rules: [queueDefault('zwei')] })
      expect(await readJson(again)).toMatchObject({ version: 3 })
      const read = await readJson(
        await t.app.request(
          `/v1/admin/offices/${office.id}/routing-rules`,
          jsonRequest('GET', admin.headers()),
        ),
      )
      expect(read).toMatchObject({
        version: 3,
        rules: [{ id: 'r-default', destinations: [{ queue: 'zwei' }] }],
      })
      const audit = (await t.deps.store.audit.list(0, 1000)).filter(
        (e) => e.action === 'routing.rules_changed' && e.subjectId === office.id,
      )
      expect(audit.map((e) => e.details.version)).toEqual([2, 3])
      expect(audit[0]?.details.rules).toEqual(['r-objection', 'r-housing', 'r-change', 'r-default'])
    })

    it('routes by the first matching rule: category, keywords in the decrypted text, flags, default', async () => {
      const office = await officeWithRules(t, rules)
      const who = await citizenOf(t, office)
      const housing = await sendText(t, who, {
        category: 'change_notice',
        body: 'Meine MIETE steigt ab März.',
      })
      const change = await sendText(t, who, { category: 'change_notice', body: 'Neue Arbeitsstelle.' })
      const other = await sendText(t, who, { category: 'general', body: 'Mietenspiegel' })
      const [h, c, o] = await Promise.all(
        [housing, change, other].map((m) => waitForDeliveries(t, m.messageId)),
      )
      expect(h?.map((d) => d.destination)).toEqual(['wohnen'])
      expect(c?.map((d) => d.destination).sort()).toEqual(['leistung', 'team-nord'])
      // "Mietenspiegel" is not the word "Miete": keywords match whole words only.
      expect(o?.map((d) => d.destination)).toEqual(['allgemein'])
      const routed = await t.deps.store.routing.getMessage(housing.messageId)
      expect(routed).toMatchObject({
        routeRuleId: 'r-housing',
        routeDestinations: ['queue:wohnen'],
        state: 'delivered',
      })
      const changed = await t.deps.store.routing.getMessage(change.messageId)
      expect(changed?.routeRuleId).toBe('r-change')
      const items = await t.deps.store.serviceCenter.list({ officeId: office.id, now: new Date(), limit: 10 })
      const wohnen = items.find((i) => i.queue === 'wohnen')
      expect(wohnen).toBeDefined()
      // SLA of the rule (4 h), not the default 48 h.
      const dueIn = (wohnen?.dueAt.getTime() ?? 0) - (wohnen?.createdAt.getTime() ?? 0)
      expect(dueIn).toBe(4 * 3_600_000)
      const audit = (await t.deps.store.audit.list(0, 1000)).find(
        (e) => e.action === 'message.routed' && e.subjectId === housing.messageId,
      )
      expect(audit?.details).toMatchObject({ ruleId: 'r-housing', destinations: ['queue'] })
      expect(JSON.stringify(audit)).not.toContain('MIETE')
    })

    it('routes a message once however often message.route runs', async () => {
      const office = await officeWithRules(t, [queueDefault()])
      const who = await citizenOf(t, office)
      const sent = await sendText(t, who)
      await waitForDeliveries(t, sent.messageId)
      await t.deps.queue.send('message.route', { messageId: sent.messageId })
      await t.deps.queue.send('message.route', { messageId: sent.messageId })
      await new Promise((r) => setTimeout(r, 500))
      expect(await t.deps.store.deliveries.listForMessage(sent.messageId)).toHaveLength(1)
      const items = await t.deps.store.serviceCenter.list({ officeId: office.id, now: new Date(), limit: 10 })
      expect(items).toHaveLength(1)
    })

    it('re-routes by staff to a new destination, keeping the delivery already made', async () => {
      const office = await officeWithRules(t, [queueDefault()])
      const caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
      const who = await citizenOf(t, office)
      const sent = await sendText(t, who)
      await waitForDeliveries(t, sent.messageId)
      const res = await t.app.request(
        `/v1/office/messages/${sent.messageId}/reroute`,
        jsonRequest('POST', caseworker.headers(), {
          destinations: [{ kind: 'queue', queue: 'widerspruch' }],
        }),
      )
      expect(res.status).toBe(200)
      expect(await readJson(res)).toMatchObject({
        added: 1,
        destinations: ['queue:allgemein', 'queue:widerspruch'],
      })
      const ds = await waitForDeliveries(
        t,
        sent.messageId,
        (d) => d.length === 2 && d.every((x) => x.state === 'delivered'),
      )
      expect(ds.map((d) => d.destination)).toEqual(['allgemein', 'widerspruch'])
    })
  })

  describe('error', () => {
    let officeId: string
    let admin: Awaited<ReturnType<typeof createStaffToken>>
    beforeAll(async () => {
      officeId = (await createOffice(t.deps)).id
      admin = await createStaffToken(t.deps, officeId, 'office_admin')
    })
    const problem = async (res: Response, status: number, code: string): Promise<Json> => {
      expect(res.status).toBe(status)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
      const body = await readJson(res)
      expect(body.code).toBe(code)
      return body
    }

    it('refuses a rule set without a default rule', async () => {
      const body = await problem(
        await put(officeId, admin.headers(), { rules: rules.slice(0, 3) }),
        422,
        'routing.no_default_rule',
      )
      expect(body.detail).toContain('Standardregel')
      expect(body.detail).toContain('default rule')
    })

    it('refuses a default rule that is not last, two defaults, or a default with conditions', async () => {
      const d = queueDefault()
      await problem(
        await put(officeId, admin.headers(), { rules: [d, rules[0]] }),
        422,
        'routing.no_default_rule',
      )
      await problem(
        await put(officeId, admin.headers(), { rules: [{ ...d, id: 'a' }, d] }),
        422,
        'routing.no_default_rule',
      )
      await problem(
        await put(officeId, admin.headers(), { rules: [{ ...d, match: { categories: ['general'] } }] }),
        422,
        'routing.invalid_rules',
      )
    })

    it('refuses malformed rules: unknown category, bad address, no destination, duplicate ids', async () => {
      const d = queueDefault()
      const bad = [
        { ...rules[0], match: { categories: ['sonstiges'] } },
        { ...rules[0], destinations: [{ kind: 'email', address: 'kein-postfach' }] },
        { ...rules[0], destinations: [] },
        { ...rules[0], destinations: [{ kind: 'ftp' }] },
      ]
      for (const rule of bad)
        await problem(await put(officeId, admin.headers(), { rules: [rule, d] }), 422, 'http.validation')
      await problem(
        await put(officeId, admin.headers(), {
          rules: [{ ...rules[0], id: 'x' }, { ...rules[1], id: 'x' }, d],
        }),
        422,
        'routing.invalid_rules',
      )
    })

    it('refuses a stale baseVersion with 409', async () => {
      await put(officeId, admin.headers(), { rules: [queueDefault()] })
      const office = await t.deps.store.offices.get(officeId)
      await problem(
        await put(officeId, admin.headers(), {
          rules: [queueDefault()],
          baseVersion: (office?.routingVersion ?? 0) - 1,
        }),
        409,
        'routing.version_conflict',
      )
    })
  })

  describe('security', () => {
    it('lets only the office admin of that office read or change its rules', async () => {
      const office = await createOffice(t.deps)
      const other = await createOffice(t.deps)
      const foreignAdmin = await createStaffToken(t.deps, other.id, 'office_admin')
      const caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
      expect((await put(office.id, foreignAdmin.headers(), { rules: [queueDefault()] })).status).toBe(404)
      expect((await put(office.id, caseworker.headers(), { rules: [queueDefault()] })).status).toBe(403)
      expect(
        (await put(office.id, { 'Content-Type': 'application/json' }, { rules: [queueDefault()] })).status,
      ).toBe(401)
      expect((await t.deps.store.offices.get(office.id))?.routingVersion).toBe(1)
    })

    it('does not re-route another office’s message', async () => {
      const office = await officeWithRules(t, [queueDefault()])
      const other = await createOffice(t.deps)
      const foreign = await createStaffToken(t.deps, other.id, 'caseworker')
      const who = await citizenOf(t, office)
      const sent = await sendText(t, who)
      const res = await t.app.request(
        `/v1/office/messages/${sent.messageId}/reroute`,
        jsonRequest('POST', foreign.headers(), {}),
      )
      expect(res.status).toBe(404)
    })
  })
})

describe('demo routing rules', () => {
  it('pass the rule-set validation (one default, last, without conditions)', () => {
    const parsed = ruleSetInput.parse({ rules: demoRoutingRules })
    expect(validateRules(parsed.rules)).toEqual(demoRoutingRules)
  })
})
