import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  efileSecret,
  signEfileRequest,
  verifyEfileSignature,
} from '../../src/features/delivery/efile-signature.ts'
import type { Office } from '../../src/store/store.types.ts'
import type { TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { type EfileReceiver, startEfileReceiver } from '../helpers/efile-receiver.ts'
import { createStaffToken, jsonRequest, readJson, type StaffToken } from '../helpers/staff.ts'
import { citizenOf } from './postbox-fixtures.ts'
import {
  makeRoutingApp,
  officeWithRules,
  sendText,
  sendWithFiles,
  waitForDeliveries,
} from './routing-fixtures.ts'

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')

describe('e-file signature', () => {
  const secret = Buffer.alloc(32, 7)
  const body = Buffer.from('{"a":1}')
  const now = new Date('2026-12-01T12:00:00Z')
  it('verifies its own signature and refuses a changed body, another secret, an old timestamp, junk', () => {
    const header = signEfileRequest(secret, body, now)
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    expect(verifyEfileSignature(secret, header, body, now, 300)).toBe(true)
    expect(verifyEfileSignature(secret, header, Buffer.from('{"a":2}'), now, 300)).toBe(false)
    expect(verifyEfileSignature(Buffer.alloc(32, 8), header, body, now, 300)).toBe(false)
    expect(verifyEfileSignature(secret, header, body, new Date(now.getTime() + 301_000), 300)).toBe(false)
    expect(verifyEfileSignature(secret, 't=1,v1=zz', body, now, 300)).toBe(false)
    expect(verifyEfileSignature(secret, undefined, body, now, 300)).toBe(false)
  })
})

describeBackends('deliver.efile', (kind) => {
  let t: TestApp
  let office: Office
  let admin: StaffToken
  let receiver: EfileReceiver
  beforeAll(async () => {
    t = await makeRoutingApp(kind, { EFILE_TIMEOUT_MS: '500' })
    receiver = await startEfileReceiver(() => efileSecret(t.deps.keyring, office.id))
    office = await officeWithRules(
      t,
      [{ id: 'r-efile', name: 'E-Akte', match: {}, destinations: [{ kind: 'efile' }], isDefault: true }],
      { efileEndpoint: receiver.url },
    )
    admin = await createStaffToken(t.deps, office.id, 'office_admin')
  })
  afterAll(async () => {
    await t.close()
    await receiver.close()
  })

  describe('happy', () => {
    it('posts a signed multipart envelope, the PDF rendering and only the clean files, once', async () => {
      const who = await citizenOf(t, office)
      const sent = await sendWithFiles(t, who, [
        { name: 'lohn.pdf', content: PDF, state: 'clean' },
        { name: 'virus.pdf', content: Buffer.from('X5O!P%@AP'), state: 'infected' },
      ])
      const [d] = await waitForDeliveries(t, sent.messageId)
      expect(d).toMatchObject({ state: 'delivered', attempts: 1, destinationKind: 'efile' })
      const doc = receiver.documents.get(d?.id ?? '')
      expect(doc).toBeDefined()
      expect(d?.externalId).toBe(doc?.documentId)
      expect(doc?.envelope).toMatchObject({
        messageId: sent.messageId,
        threadId: sent.threadId,
        customerNumber: who.citizen.customerNumber,
        category: 'evidence',
        rule: 'r-efile',
        attachments: [{ name: 'lohn.pdf', type: 'application/pdf', size: PDF.length }],
        refused: [{ name: 'virus.pdf', state: 'infected' }],
      })
      expect(String(doc?.envelope.threadReference)).toMatch(/^PK-/)
      const parts = doc?.parts ?? []
      expect(parts.map((p) => p.name)).toEqual(['envelope', 'document', 'attachment-1'])
      expect(parts[1]?.data.subarray(0, 5).toString()).toBe('%PDF-')
      expect(parts[2]?.data.equals(PDF)).toBe(true)
      expect(receiver.requests.filter((r) => r.idempotencyKey === d?.id).every((r) => r.signatureOk)).toBe(
        true,
      )
      const message = await t.deps.store.routing.getMessage(sent.messageId)
      expect(message?.state).toBe('delivered')
    })

    it('stores a delivery sent twice once: the answer to the first attempt was lost (503 after filing)', async () => {
      const who = await citizenOf(t, office)
      receiver.script({ status: 503, file: true })
      const sent = await sendText(t, who)
      const [d] = await waitForDeliveries(t, sent.messageId)
      expect(d).toMatchObject({ state: 'delivered', attempts: 2 })
      const mine = receiver.requests.filter((r) => r.idempotencyKey === d?.id)
      expect(mine.map((r) => r.status)).toEqual([503, 201])
      expect([...receiver.documents.values()].filter((x) => x.idempotencyKey === d?.id)).toHaveLength(1)
      expect(d?.externalId).toBe(receiver.documents.get(d?.id ?? '')?.documentId)
    })

    it('ends delivered after 503, 503, 201 (retries with backoff)', async () => {
      const who = await citizenOf(t, office)
      receiver.script({ status: 503 }, { status: 503 })
      const sent = await sendText(t, who)
      const [d] = await waitForDeliveries(t, sent.messageId)
      expect(d).toMatchObject({ state: 'delivered', attempts: 3, error: null })
      expect(receiver.requests.filter((r) => r.idempotencyKey === d?.id).map((r) => r.status)).toEqual([
        503, 503, 201,
      ])
    })

    it('retries after a timeout (the receiver hangs once)', async () => {
      const who = await citizenOf(t, office)
      receiver.script({ hang: true })
      const sent = await sendText(t, who)
      const [d] = await waitForDeliveries(t, sent.messageId)
      expect(d).toMatchObject({ state: 'delivered', attempts: 2 })
    })
  })

  describe('error', () => {
    it('ends failed on 400 with the response recorded, visible to the admin, and replays it', async () => {
      const who = await citizenOf(t, office)
      receiver.script({ status: 400, body: '{"error":"unknown customer"}' })
      const sent = await sendText(t, who)
      const [d] = await waitForDeliveries(t, sent.messageId)
      expect(d).toMatchObject({ state: 'failed', attempts: 1 })
      expect(d?.error).toContain('HTTP 400')
      expect(d?.error).toContain('unknown customer')
      expect((await t.deps.store.routing.getMessage(sent.messageId))?.state).toBe('failed')
      const list = await readJson(
        await t.app.request('/v1/admin/deliveries?state=failed', jsonRequest('GET', admin.headers())),
      )
      expect(list.deliveries.map((x: { id: string }) => x.id)).toContain(d?.id)

      const replay = await t.app.request(
        `/v1/admin/deliveries/${d?.id}/replay`,
        jsonRequest('POST', admin.headers()),
      )
      expect(replay.status).toBe(200)
      const [again] = await waitForDeliveries(t, sent.messageId, (ds) => ds[0]?.state === 'delivered')
      expect(again?.externalId).toBe(receiver.documents.get(d?.id ?? '')?.documentId)
      expect((await t.deps.store.routing.getMessage(sent.messageId))?.state).toBe('delivered')

      // A replay never sends a delivered one again.
      const twice = await t.app.request(
        `/v1/admin/deliveries/${d?.id}/replay`,
        jsonRequest('POST', admin.headers()),
      )
      expect(twice.status).toBe(409)
      expect((await readJson(twice)).code).toBe('delivery.not_failed')
      const bulk = await readJson(
        await t.app.request(
          '/v1/admin/deliveries/replay',
          jsonRequest('POST', admin.headers(), { failed: true }),
        ),
      )
      expect(bulk.replayed).not.toContain(d?.id)
      await new Promise((r) => setTimeout(r, 300))
      expect(receiver.requests.filter((r) => r.idempotencyKey === d?.id).map((r) => r.status)).toEqual([
        400, 201,
      ])
    })

    it('ends failed after the attempt limit when the e-file keeps answering 503', async () => {
      const who = await citizenOf(t, office)
      receiver.script({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 })
      const sent = await sendText(t, who)
      const [d] = await waitForDeliveries(t, sent.messageId)
      expect(d).toMatchObject({ state: 'failed', attempts: 4 })
      expect(d?.error).toContain('HTTP 503')
    })

    it('fails for good when the office has no e-file endpoint', async () => {
      const bare = await officeWithRules(t, [
        { id: 'r', name: 'E-Akte', match: {}, destinations: [{ kind: 'efile' }], isDefault: true },
      ])
      const who = await citizenOf(t, bare)
      const sent = await sendText(t, who)
      const [d] = await waitForDeliveries(t, sent.messageId)
      expect(d).toMatchObject({ state: 'failed', attempts: 1 })
      expect(d?.error).toContain('no e-file endpoint')
    })
  })

  describe('security', () => {
    it('lets only the office admin list and replay deliveries, and only their own office’s', async () => {
      const caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
      expect(
        (await t.app.request('/v1/admin/deliveries', jsonRequest('GET', caseworker.headers()))).status,
      ).toBe(403)
      const foreign = await officeWithRules(t, [
        { id: 'r', name: 'x', match: {}, destinations: [{ kind: 'queue', queue: 'q' }], isDefault: true },
      ])
      const foreignAdmin = await createStaffToken(t.deps, foreign.id, 'office_admin')
      const mine = await t.deps.store.deliveries.list({ officeId: office.id, limit: 1 })
      const res = await t.app.request(
        `/v1/admin/deliveries/${mine[0]?.id}/replay`,
        jsonRequest('POST', foreignAdmin.headers()),
      )
      expect(res.status).toBe(404)
      const listed = await readJson(
        await t.app.request('/v1/admin/deliveries', jsonRequest('GET', foreignAdmin.headers())),
      )
      expect(listed.deliveries).toEqual([])
    })

    it('signs with a per-office secret the admin can read once (audit-logged)', async () => {
      const res = await t.app.request(
        `/v1/admin/offices/${office.id}/efile/secret`,
        jsonRequest('POST', admin.headers()),
      )
      expect(res.status).toBe(200)
      const { secret } = await readJson(res)
      expect(Buffer.from(secret, 'base64').equals(efileSecret(t.deps.keyring, office.id))).toBe(true)
      const other = await officeWithRules(t, [
        { id: 'r', name: 'x', match: {}, destinations: [{ kind: 'queue', queue: 'q' }], isDefault: true },
      ])
      expect(efileSecret(t.deps.keyring, other.id).equals(efileSecret(t.deps.keyring, office.id))).toBe(false)
      const audit = await t.deps.store.audit.list(0, 1000)
      expect(audit.some((e) => e.action === 'routing.efile_secret_read' && e.subjectId === office.id)).toBe(
        true,
      )
      expect(JSON.stringify(audit)).not.toContain(secret)
    })
  })
})
