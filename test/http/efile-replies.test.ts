import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createOffice, createStaffToken, readJson, type StaffToken } from '../helpers/staff.ts'
import { blobFiles, multipart, type Part, samples } from './attachments-fixtures.ts'
import { apiFor, citizenOf } from './postbox-fixtures.ts'

const field = (name: string, value: string): Part => ({ name, content: Buffer.from(value) })
const pdf = (filename = 'Bescheid.pdf', content = samples.pdf): Part => ({
  name: 'file',
  filename,
  type: 'application/pdf',
  content,
})

describeBackends('e-file replies API', (kind) => {
  let t: TestApp
  let office: Office
  let efile: StaffToken
  beforeAll(async () => {
    t = await makeTestApp(kind, { MAX_UPLOAD_BYTES: String(64 * 1024) })
    office = await createOffice(t.deps)
    efile = await createStaffToken(t.deps, office.id, 'integration')
  })
  afterAll(() => t.close())

  const thread = async (o = office) => {
    const who = await citizenOf(t, o)
    const api = apiFor(t, who)
    const sent = await api.send({ subject: 'Weiterbewilligung', body: 'Antrag gestellt.' })
    const row = await t.deps.store.postbox.getThreadForOffice(o.id, sent.threadId)
    return { who, api, threadId: sent.threadId as string, reference: row?.reference ?? '' }
  }

  const post = (parts: Part[], token = efile, extra: Record<string, string> = {}) => {
    const form = multipart(parts)
    return t.app.request('/v1/efile/replies', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token.token}`, 'Content-Type': form.contentType, ...extra },
      body: form.body,
    })
  }

  describe('happy', () => {
    it('puts a reply with a PDF into the thread as a pending attachment and enqueues its upload.check', async () => {
      const c = await thread()
      const checks = await t.deps.queue.counts('upload.check')
      const notifies = await t.deps.queue.counts('notify.citizen')
      const res = await post([
        field('reference', c.reference),
        field('body', 'Ihr Antrag ist bewilligt, der Bescheid liegt bei.'),
        pdf('Bescheid Weiterbewilligung.pdf'),
      ])
      expect(res.status, await res.clone().text()).toBe(201)
      const out = await readJson(res)
      expect(out).toMatchObject({ threadId: c.threadId, reference: c.reference })
      const view = await readJson(await c.api.call('GET', `/v1/postbox/threads/${c.threadId}`))
      expect(view.messages).toHaveLength(2)
      expect(view.messages[1]).toMatchObject({
        id: out.messageId,
        body: 'Ihr Antrag ist bewilligt, der Bescheid liegt bei.',
      })
      expect(view.messages[1].attachments).toMatchObject([
        { name: 'Bescheid Weiterbewilligung.pdf', state: 'pending' },
      ])
      expect((await t.deps.queue.counts('upload.check')).waiting).toBe(checks.waiting + 1)
      expect((await t.deps.queue.counts('notify.citizen')).waiting).toBe(notifies.waiting)
      const entry = (await t.deps.store.audit.list(0, 10_000)).find((e) => e.subjectId === out.messageId)
      expect(entry).toMatchObject({
        action: 'replies.office_message',
        actorKind: 'staff',
        actorId: efile.staffId,
      })
    })

    it('enqueues notify.citizen for a text-only reply', async () => {
      const c = await thread()
      const before = await t.deps.queue.counts('notify.citizen')
      const res = await post([field('reference', c.reference), field('body', 'Nur Text.')])
      expect(res.status).toBe(201)
      expect((await t.deps.queue.counts('notify.citizen')).waiting).toBe(before.waiting + 1)
      expect((await c.api.list({ folder: 'inbox' })).items).toHaveLength(1)
    })
  })

  describe('idempotency', () => {
    it('answers a retried POST with the same Idempotency-Key with the first reply, writing nothing new', async () => {
      const c = await thread()
      const parts = [field('reference', c.reference), field('body', 'Einmal bitte.'), pdf()]
      const key = { 'Idempotency-Key': `efile-${c.threadId}` }
      const first = await post(parts, efile, key)
      expect(first.status).toBe(201)
      const again = await post(parts, efile, key)
      expect(again.status).toBe(200)
      expect(again.headers.get('idempotent-replayed')).toBe('true')
      expect(await readJson(again)).toEqual(await readJson(first))
      expect(await t.deps.store.postbox.listThreadMessagesForOffice(office.id, c.threadId)).toHaveLength(2)
      const other = await post(parts, efile, { 'Idempotency-Key': `other-${c.threadId}` })
      expect(other.status).toBe(201)
      expect(await t.deps.store.postbox.listThreadMessagesForOffice(office.id, c.threadId)).toHaveLength(3)
    })

    it('writes one message when two POSTs with one key race, and leaves no blob of the loser', async () => {
      const c = await thread()
      const blobsBefore = blobFiles(t).length
      const parts = [field('reference', c.reference), field('body', 'Gleichzeitig.'), pdf()]
      const key = { 'Idempotency-Key': `race-${c.threadId}` }
      const [a, b] = await Promise.all([post(parts, efile, key), post(parts, efile, key)])
      expect([a.status, b.status].sort()).toEqual([200, 201])
      expect((await readJson(a)).messageId).toBe((await readJson(b)).messageId)
      expect(await t.deps.store.postbox.listThreadMessagesForOffice(office.id, c.threadId)).toHaveLength(2)
      expect(blobFiles(t).length).toBe(blobsBefore + 1)
    })

    it('keeps keys per office and refuses malformed ones', async () => {
      const c = await thread()
      const parts = [field('reference', c.reference), field('body', 'x')]
      expect((await post(parts, efile, { 'Idempotency-Key': 'bad key with spaces' })).status).toBe(422)
      const officeB = await createOffice(t.deps, 'Jobcenter B')
      const efileB = await createStaffToken(t.deps, officeB.id, 'integration')
      const shared = { 'Idempotency-Key': `shared-${c.threadId}` }
      expect((await post(parts, efile, shared)).status).toBe(201)
      // Office B's key of the same name replays nothing of office A's: its own request is judged afresh.
      expect((await post(parts, efileB, shared)).status).toBe(404)
    })
  })

  describe('errors', () => {
    it('answers 404 for an unknown reference and for a thread of another office', async () => {
      const foreign = await thread(await createOffice(t.deps, 'Jobcenter B'))
      for (const reference of ['PK-UNKNOWN234', foreign.reference]) {
        const res = await post([field('reference', reference), field('body', 'x'), pdf()])
        expect(res.status).toBe(404)
        expect(await readJson(res)).toMatchObject({ code: 'replies.thread_not_found' })
      }
      expect((await foreign.api.list({ folder: 'inbox' })).items).toHaveLength(0)
    })

    it('refuses a form without reference, with files before the fields, or with a foreign field name', async () => {
      const c = await thread()
      expect((await post([field('body', 'x')])).status).toBe(422)
      const early = await post([pdf(), field('reference', c.reference), field('body', 'x')])
      expect(early.status).toBe(422)
      const wrong = await post([field('reference', c.reference), { ...pdf(), name: 'upload' }])
      expect(wrong.status).toBe(422)
      const json = await t.app.request('/v1/efile/replies', {
        method: 'POST',
        headers: efile.headers(),
        body: JSON.stringify({ reference: c.reference, body: 'x' }),
      })
      expect(json.status).toBe(422)
      expect(await t.deps.store.postbox.listThreadMessagesForOffice(office.id, c.threadId)).toHaveLength(1)
    })

    it('refuses more than ten files and a file over MAX_UPLOAD_BYTES, leaving no blob behind', async () => {
      const c = await thread()
      const blobsBefore = blobFiles(t).length
      const many = Array.from({ length: 11 }, (_, i) => pdf(`f${i}.pdf`))
      const tooMany = await post([field('reference', c.reference), field('body', 'x'), ...many])
      expect(tooMany.status).toBe(422)
      expect(await readJson(tooMany)).toMatchObject({ code: 'replies.too_many_files' })
      const big = await post([
        field('reference', c.reference),
        field('body', 'x'),
        pdf('klein.pdf'),
        pdf('gross.pdf', Buffer.alloc(65 * 1024, 0x41)),
      ])
      expect(big.status).toBe(413)
      expect(blobFiles(t).length).toBe(blobsBefore)
      expect(await t.deps.store.postbox.listThreadMessagesForOffice(office.id, c.threadId)).toHaveLength(1)
    })
  })

  describe('security', () => {
    it('needs an integration token', async () => {
      const c = await thread()
      const caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
      expect((await post([field('reference', c.reference), field('body', 'x')], caseworker)).status).toBe(403)
      const form = multipart([field('reference', c.reference), field('body', 'x')])
      const anonymous = await t.app.request('/v1/efile/replies', {
        method: 'POST',
        headers: { 'Content-Type': form.contentType },
        body: form.body,
      })
      expect(anonymous.status).toBe(401)
    })

    it('never shows citizen A a reply office B tried to write into A’s thread', async () => {
      const a = await thread()
      const officeB = await createOffice(t.deps, 'Jobcenter B')
      const efileB = await createStaffToken(t.deps, officeB.id, 'integration')
      const res = await post([field('reference', a.reference), field('body', 'Von B.'), pdf()], efileB)
      expect(res.status).toBe(404)
      const view = await readJson(await a.api.call('GET', `/v1/postbox/threads/${a.threadId}`))
      expect(view.messages.map((m: { body: string }) => m.body)).toEqual(['Antrag gestellt.'])
      expect((await a.api.list({ folder: 'inbox' })).items).toHaveLength(0)
    })
  })
})
