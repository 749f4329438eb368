import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createOffice, createStaffToken, jsonRequest, readJson } from '../helpers/staff.ts'
import { apiFor, citizenOf, officeMessage, uploadedFile } from './postbox-fixtures.ts'

describeBackends('postbox API', (kind) => {
  let t: TestApp
  let office: Office
  beforeAll(async () => {
    t = await makeTestApp(kind)
    office = await createOffice(t.deps)
  })
  afterAll(() => t.close())

  describe('happy', () => {
    it('sends a new thread to the own office, lists it in sent and enqueues message.route', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const before = await t.deps.queue.counts('message.route')
      const sent = await api.send({
        category: 'change_notice',
        subject: 'Neue Adresse',
        body: 'Ich bin umgezogen.',
      })
      expect(sent).toMatchObject({ state: 'submitted' })
      expect((await t.deps.queue.counts('message.route')).waiting).toBe(before.waiting + 1)
      const { items, nextCursor } = await api.list({ folder: 'sent' })
      expect(nextCursor).toBeNull()
      expect(items).toHaveLength(1)
      expect(items[0]).toMatchObject({
        id: sent.messageId,
        subject: 'Neue Adresse',
        office: office.id,
        category: 'change_notice',
        unread: false,
        attachmentCount: 0,
        deliveryState: 'submitted',
        folder: 'sent',
      })
    })

    it('binds attachments at send time and enqueues one upload.check per file instead of routing', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const files = [await uploadedFile(t, who, 'lohnabrechnung.pdf'), await uploadedFile(t, who)]
      const route = await t.deps.queue.counts('message.route')
      const check = await t.deps.queue.counts('upload.check')
      const sent = await api.send({ subject: 'Nachweise', body: 'anbei', attachmentIds: files })
      expect((await t.deps.queue.counts('upload.check')).waiting).toBe(check.waiting + 2)
      expect((await t.deps.queue.counts('message.route')).waiting).toBe(route.waiting)
      const thread = await readJson(await api.call('GET', `/v1/postbox/threads/${sent.threadId}`))
      expect(thread.messages[0].attachments.map((a: { name: string }) => a.name).sort()).toEqual([
        'lohnabrechnung.pdf',
        'nachweis.pdf',
      ])
      expect((await api.list({ folder: 'sent', hasAttachments: 'true' })).items[0]?.attachmentCount).toBe(2)
    })

    it('replies in a thread and shows every message of the thread oldest first', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const sent = await api.send({ subject: 'Frage', body: 'erste' })
      await officeMessage(t, who, sent.threadId, { body: 'Antwort' })
      const res = await api.call('POST', `/v1/postbox/threads/${sent.threadId}/messages`, { body: 'zweite' })
      expect(res.status).toBe(201)
      const thread = await readJson(await api.call('GET', `/v1/postbox/threads/${sent.threadId}`))
      expect(thread.subject).toBe('Frage')
      expect(thread.reference).toMatch(/^PK-[A-Z2-9]{10}$/)
      expect(thread.messages.map((m: { body: string }) => m.body)).toEqual(['erste', 'Antwort', 'zweite'])
    })

    it('keeps a draft editable until it is sent, then moves it from drafts to sent', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const draft = await api.send({ subject: 'Entwurf', body: 'v1', draft: true })
      expect(draft.state).toBe('draft')
      expect(await readJson(await api.call('GET', '/v1/postbox/folders'))).toMatchObject({
        drafts: { total: 1 },
      })
      const patched = await api.call('PATCH', `/v1/postbox/drafts/${draft.messageId}`, {
        subject: 'Fertig',
        body: 'v2',
      })
      expect(patched.status).toBe(200)
      const route = await t.deps.queue.counts('message.route')
      expect((await api.call('POST', `/v1/postbox/drafts/${draft.messageId}/send`)).status).toBe(200)
      expect((await t.deps.queue.counts('message.route')).waiting).toBe(route.waiting + 1)
      const [item] = (await api.list({ folder: 'sent' })).items
      expect(item).toMatchObject({ id: draft.messageId, subject: 'Fertig', state: 'submitted' })
      expect((await api.list({ folder: 'drafts' })).items).toEqual([])
      const thread = await readJson(await api.call('GET', `/v1/postbox/threads/${draft.threadId}`))
      expect(thread.messages[0].body).toBe('v2')
    })

    it('deletes a draft for good', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const draft = await api.send({ subject: 'Weg damit', body: 'x', draft: true })
      expect((await api.call('DELETE', `/v1/postbox/drafts/${draft.messageId}`)).status).toBe(204)
      expect(await t.deps.store.postbox.getMessage(who.citizen.id, draft.messageId)).toBeNull()
    })

    it('counts unread inbox messages and records the first retrieval of an office message once', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const sent = await api.send({ subject: 'Termin', body: 'bitte' })
      const notice = await officeMessage(t, who, sent.threadId, { kind: 'notice' })
      expect(await readJson(await api.call('GET', '/v1/postbox/folders'))).toMatchObject({
        inbox: { total: 1, unread: 1 },
        sent: { total: 1 },
      })
      expect((await api.list({ folder: 'inbox', unread: 'true' })).items.map((i) => i.id)).toEqual([notice])
      const first = await readJson(await api.call('POST', `/v1/postbox/messages/${notice}/read`))
      expect(first.retrievedAt).not.toBeNull()
      await new Promise((r) => setTimeout(r, 5))
      const second = await readJson(await api.call('POST', `/v1/postbox/messages/${notice}/read`))
      expect(second.retrievedAt).toBe(first.retrievedAt)
      expect(second.readAt).toBe(first.readAt)
      expect(await readJson(await api.call('GET', '/v1/postbox/folders'))).toMatchObject({
        inbox: { unread: 0 },
      })
      expect((await api.list({ folder: 'inbox', unread: 'true' })).items).toEqual([])
    })

    it('moves a message to the trash and restores it to its folder', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const sent = await api.send({ subject: 'Papierkorb', body: 'x' })
      const trashed = await api.call('DELETE', `/v1/postbox/messages/${sent.messageId}`)
      expect(await readJson(trashed)).toEqual({ id: sent.messageId, folder: 'trash' })
      expect((await api.list({ folder: 'trash' })).items[0]?.trashedAt).not.toBeNull()
      expect((await api.list({ folder: 'sent' })).items).toEqual([])
      await api.call('POST', `/v1/postbox/messages/${sent.messageId}/restore`)
      expect((await api.list({ folder: 'sent' })).items[0]?.id).toBe(sent.messageId)
    })

    it('purges a message with its tokens and attachments, audit-logged', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const file = await uploadedFile(t, who)
      const sent = await api.send({ subject: 'Endgültig', body: 'löschen', attachmentIds: [file] })
      expect((await api.call('DELETE', `/v1/postbox/messages/${sent.messageId}?purge=true`)).status).toBe(204)
      expect(await t.deps.store.postbox.getMessage(who.citizen.id, sent.messageId)).toBeNull()
      expect(await t.deps.store.attachments.get(who.citizen.id, file)).toBeNull()
      expect((await api.list({ folder: 'sent', q: 'endgültig' })).items).toEqual([])
      const audit = await t.deps.store.audit.list(0, 10_000)
      expect(audit.some((e) => e.action === 'postbox.purge_message' && e.subjectId === sent.messageId)).toBe(
        true,
      )
    })

    it('lets a caseworker of the office read the thread, audit-logged with ids only', async () => {
      const who = await citizenOf(t, office)
      const sent = await apiFor(t, who).send({ subject: 'Für die Akte', body: 'Inhalt' })
      const staff = await createStaffToken(t.deps, office.id, 'caseworker')
      const res = await t.app.request(
        `/v1/office/threads/${sent.threadId}`,
        jsonRequest('GET', staff.headers()),
      )
      expect(res.status).toBe(200)
      expect(await readJson(res)).toMatchObject({ subject: 'Für die Akte', messages: [{ body: 'Inhalt' }] })
      const entry = (await t.deps.store.audit.list(0, 10_000)).find(
        (e) => e.action === 'staff.read_thread' && e.subjectId === sent.threadId,
      )
      expect(entry).toMatchObject({ actorId: staff.staffId, officeId: office.id })
      expect(JSON.stringify(entry?.details)).not.toContain('Inhalt')
    })

    it('exports a thread and a single message as PDF, audit-logged as exports', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const sent = await api.send({
        category: 'evidence',
        subject: 'Nachweise für März',
        body: 'Anbei die Belege.',
      })
      for (const path of [
        `/v1/postbox/threads/${sent.threadId}/pdf`,
        `/v1/postbox/messages/${sent.messageId}/pdf`,
      ]) {
        const res = await api.call('GET', path)
        expect(res.status).toBe(200)
        expect(res.headers.get('content-type')).toBe('application/pdf')
        expect(res.headers.get('content-disposition')).toMatch(
          /^attachment; filename="Postkorb-PK-[A-Z2-9]{10}/,
        )
        expect(res.headers.get('content-disposition')).not.toContain('Nachweise')
        const bytes = Buffer.from(await res.arrayBuffer())
        expect(bytes.subarray(0, 5).toString()).toBe('%PDF-')
      }
      const exports = (await t.deps.store.audit.list(0, 10_000)).filter(
        (e) => e.action === 'postbox.export_pdf' && e.actorId === who.citizen.id,
      )
      expect(exports.map((e) => e.subjectId)).toEqual([sent.threadId, sent.messageId])
    })
  })

  describe('error', () => {
    it('refuses an unknown category, an oversize body and more than ten attachments with 422', async () => {
      const api = apiFor(t, await citizenOf(t, office))
      const bad = [
        { category: 'lottery', subject: 's', body: 'b' },
        { category: 'general', subject: 's', body: 'x'.repeat(20_001) },
        { category: 'general', subject: 'x'.repeat(201), body: 'b' },
        {
          category: 'general',
          subject: 's',
          body: 'b',
          attachmentIds: Array.from({ length: 11 }, () => crypto.randomUUID()),
        },
      ]
      for (const body of bad) {
        const res = await api.call('POST', '/v1/postbox/threads', body)
        expect(res.status).toBe(422)
        expect(res.headers.get('content-type')).toContain('application/problem+json')
      }
    })

    it('refuses a request body beyond the HTTP limit with 413', async () => {
      const api = apiFor(t, await citizenOf(t, office))
      const res = await api.call('POST', '/v1/postbox/threads', {
        subject: 's',
        body: 'x'.repeat(t.deps.config.http.maxBodyBytes + 10),
      })
      expect(res.status).toBe(413)
    })

    it('refuses to edit or resend a sent message with 409', async () => {
      const api = apiFor(t, await citizenOf(t, office))
      const sent = await api.send({ subject: 'Gesendet', body: 'x' })
      const patch = await api.call('PATCH', `/v1/postbox/drafts/${sent.messageId}`, { body: 'y' })
      expect(patch.status).toBe(409)
      expect((await readJson(patch)).code).toBe('postbox.not_draft')
      expect((await api.call('POST', `/v1/postbox/drafts/${sent.messageId}/send`)).status).toBe(409)
    })

    it('answers 400 for a malformed cursor and 422 for a query without a term of three characters', async () => {
      const api = apiFor(t, await citizenOf(t, office))
      for (const cursor of ['%%%', 'bm90LWpzb24', Buffer.from('[1,"x"]').toString('base64url')]) {
        const res = await api.call('GET', `/v1/postbox/messages?cursor=${cursor}`)
        expect(res.status).toBe(400)
        expect((await readJson(res)).code).toBe('postbox.bad_cursor')
      }
      const short = await api.call('GET', '/v1/postbox/messages?q=ab%20c')
      expect((await readJson(short)).code).toBe('postbox.query_too_short')
      expect((await api.call('GET', '/v1/postbox/messages?limit=101')).status).toBe(422)
      expect((await api.call('GET', '/v1/postbox/messages?folder=spam')).status).toBe(422)
    })

    it('answers 404 for unknown thread and message ids', async () => {
      const api = apiFor(t, await citizenOf(t, office))
      const unknown = crypto.randomUUID()
      expect((await api.call('GET', `/v1/postbox/threads/${unknown}`)).status).toBe(404)
      expect((await api.call('GET', '/v1/postbox/threads/not-an-id')).status).toBe(404)
      expect((await api.call('POST', `/v1/postbox/threads/${unknown}/messages`, { body: 'x' })).status).toBe(
        404,
      )
      expect((await api.call('POST', `/v1/postbox/messages/${unknown}/read`)).status).toBe(404)
      expect((await api.call('DELETE', `/v1/postbox/messages/${unknown}`)).status).toBe(404)
    })
  })

  describe('security', () => {
    it('needs an eID-level profile for an objection (403)', async () => {
      const api = apiFor(t, await citizenOf(t, office))
      const res = await api.call('POST', '/v1/postbox/threads', {
        category: 'objection',
        subject: 'W',
        body: 'b',
      })
      expect(res.status).toBe(403)
      expect((await readJson(res)).code).toBe('postbox.eid_required')
      const eid = apiFor(t, await citizenOf(t, office, 'eid'))
      expect(
        (await eid.call('POST', '/v1/postbox/threads', { category: 'objection', subject: 'W', body: 'b' }))
          .status,
      ).toBe(201)
    })

    it("gives another citizen's thread, message and attachment ids the same 404 as missing ones", async () => {
      const owner = await citizenOf(t, office)
      const sent = await apiFor(t, owner).send({ subject: 'Privat', body: 'geheim', draft: true })
      const file = await uploadedFile(t, owner)
      const other = apiFor(t, await citizenOf(t, office))
      const calls: [string, string, unknown?][] = [
        ['GET', `/v1/postbox/threads/${sent.threadId}`],
        ['POST', `/v1/postbox/threads/${sent.threadId}/messages`, { body: 'x' }],
        ['PATCH', `/v1/postbox/drafts/${sent.messageId}`, { body: 'x' }],
        ['POST', `/v1/postbox/drafts/${sent.messageId}/send`],
        ['DELETE', `/v1/postbox/drafts/${sent.messageId}`],
        ['POST', `/v1/postbox/messages/${sent.messageId}/read`],
        ['POST', `/v1/postbox/messages/${sent.messageId}/restore`],
        ['DELETE', `/v1/postbox/messages/${sent.messageId}`],
        ['DELETE', `/v1/postbox/messages/${sent.messageId}?purge=true`],
        ['GET', `/v1/postbox/messages/${sent.messageId}/pdf`],
        ['GET', `/v1/postbox/threads/${sent.threadId}/pdf`],
      ]
      for (const [method, path, body] of calls) {
        const res = await other.call(method, path, body)
        expect(res.status, `${method} ${path}`).toBe(404)
      }
      const stolen = await other.call('POST', '/v1/postbox/threads', {
        subject: 's',
        body: 'b',
        attachmentIds: [file],
      })
      expect(stolen.status).toBe(422)
      expect(await t.deps.store.postbox.getMessage(owner.citizen.id, sent.messageId)).not.toBeNull()
    })

    it("keeps another office's staff out of a thread with 404 and needs a token", async () => {
      const who = await citizenOf(t, office)
      const sent = await apiFor(t, who).send({ subject: 'Amt A', body: 'x' })
      const otherOffice = await createOffice(t.deps, 'Jobcenter B')
      const staff = await createStaffToken(t.deps, otherOffice.id, 'caseworker')
      const res = await t.app.request(
        `/v1/office/threads/${sent.threadId}`,
        jsonRequest('GET', staff.headers()),
      )
      expect(res.status).toBe(404)
      expect((await t.app.request(`/v1/office/threads/${sent.threadId}`)).status).toBe(401)
    })

    it('refuses citizens without an activated profile and requests without a session', async () => {
      const pending = apiFor(t, await citizenOf(t, office, 'registered'))
      expect((await pending.call('GET', '/v1/postbox/messages')).status).toBe(403)
      expect((await t.app.request('/v1/postbox/messages')).status).toBe(401)
    })
  })
})
