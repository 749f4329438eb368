import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { writeOfficeReply } from '../../src/features/replies/office-reply.service.ts'
import type { Store } from '../../src/store/store.port.ts'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createOffice, readJson } from '../helpers/staff.ts'
import { blobFiles, samples } from './attachments-fixtures.ts'
import { apiFor, citizenOf } from './postbox-fixtures.ts'

const file = (name: string, content: Buffer, declaredType = 'application/pdf') => ({
  name,
  declaredType,
  content: Readable.from([content]),
})

describeBackends('office replies (writeOfficeReply)', (kind) => {
  let t: TestApp
  let office: Office
  let other: Office
  const checks: string[] = []
  const notifies: { citizenId: string; messageId: string }[] = []
  beforeAll(async () => {
    t = await makeTestApp(kind)
    office = await createOffice(t.deps)
    other = await createOffice(t.deps, 'Jobcenter Anders')
    // Stand-ins that only record what was enqueued: the real handlers belong to issues 5 and 7.
    await t.deps.queue.work('upload.check', async (p) => void checks.push(p.attachmentId))
    await t.deps.queue.work('notify.citizen', async (p) => void notifies.push(p))
  })
  afterAll(() => t.close())

  const until = async (ok: () => boolean) => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25))
    expect(ok()).toBe(true)
  }

  it('puts a text reply into the citizen inbox of the thread, notifies the citizen and audits it', async () => {
    const who = await citizenOf(t, office)
    const api = apiFor(t, who)
    const sent = await api.send({ subject: 'Umzug', body: 'Ich bin umgezogen.' })
    const before = await t.deps.store.postbox.getThread(who.citizen.id, sent.threadId)
    await new Promise((r) => setTimeout(r, 5))
    const out = await writeOfficeReply(t.deps, {
      officeId: office.id,
      threadId: sent.threadId,
      body: 'Danke, wir haben die Adresse geändert.',
      source: 'efile',
      actor: { kind: 'staff', id: null },
      files: [],
    })
    expect(out.threadId).toBe(sent.threadId)
    const thread = await readJson(await api.call('GET', `/v1/postbox/threads/${sent.threadId}`))
    expect(thread.messages.map((m: { body: string }) => m.body)).toEqual([
      'Ich bin umgezogen.',
      'Danke, wir haben die Adresse geändert.',
    ])
    const inbox = await api.list({ folder: 'inbox' })
    expect(inbox.items.map((i) => i.id)).toEqual([out.messageId])
    expect(inbox.items[0]).toMatchObject({ unread: true, subject: 'Umzug' })
    expect((await api.list({ folder: 'inbox', q: 'adresse' })).items.map((i) => i.id)).toEqual([
      out.messageId,
    ])
    const after = await t.deps.store.postbox.getThread(who.citizen.id, sent.threadId)
    expect(after?.updatedAt.getTime()).toBeGreaterThan(before?.updatedAt.getTime() ?? 0)
    await until(() => notifies.some((n) => n.messageId === out.messageId))
    expect(notifies.find((n) => n.messageId === out.messageId)?.citizenId).toBe(who.citizen.id)
    const entry = (await t.deps.store.audit.list(0, 10_000)).find((e) => e.subjectId === out.messageId)
    expect(entry).toMatchObject({
      action: 'replies.office_message',
      officeId: office.id,
      details: { threadId: sent.threadId, source: 'efile', attachments: 0 },
    })
  })

  it('stores files as encrypted pending attachments bound to the message, one upload.check each, no notify yet', async () => {
    const who = await citizenOf(t, office)
    const api = apiFor(t, who)
    const sent = await api.send({ subject: 'Nachweise', body: 'Was fehlt?' })
    const marker = `MARKER-${randomBytes(6).toString('hex')}`
    const pdf = Buffer.concat([samples.pdf, Buffer.from(marker)])
    const blobsBefore = blobFiles(t).length
    const out = await writeOfficeReply(t.deps, {
      officeId: office.id,
      threadId: sent.threadId,
      body: 'Bitte diese Formulare ausfüllen.',
      source: 'email',
      actor: { kind: 'system', id: null },
      files: [file('Formular Miete.pdf', pdf), file('bild.png', samples.png, 'image/png')],
    })
    const attachments = await t.deps.store.attachments.listForMessage(who.citizen.id, out.messageId)
    expect(attachments.map((a) => [a.scanState, a.declaredType]).sort()).toEqual([
      ['pending', 'application/pdf'],
      ['pending', 'image/png'],
    ])
    expect(attachments.find((a) => a.declaredType === 'application/pdf')?.size).toBe(pdf.length)
    const stored = blobFiles(t)
    expect(stored.length).toBe(blobsBefore + 2)
    expect(stored.some((b) => b.bytes.includes(marker))).toBe(false)
    await until(() => attachments.every((a) => checks.includes(a.id)))
    expect(notifies.some((n) => n.messageId === out.messageId)).toBe(false)
    const thread = await readJson(await api.call('GET', `/v1/postbox/threads/${sent.threadId}`))
    const names = thread.messages[1].attachments.map((a: { name: string; state: string }) => [
      a.name,
      a.state,
    ])
    expect(names.sort()).toEqual([
      ['Formular Miete.pdf', 'pending'],
      ['bild.png', 'pending'],
    ])
  })

  it('answers 404 for a thread of another office and writes no blob', async () => {
    const who = await citizenOf(t, other)
    const sent = await apiFor(t, who).send({ subject: 'Frage', body: 'x' })
    const blobsBefore = blobFiles(t).length
    const err = await writeOfficeReply(t.deps, {
      officeId: office.id,
      threadId: sent.threadId,
      body: 'falsches Amt',
      source: 'efile',
      actor: { kind: 'staff', id: null },
      files: [file('a.pdf', samples.pdf)],
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'replies.thread_not_found', status: 404 })
    expect(blobFiles(t).length).toBe(blobsBefore)
    expect(await t.deps.store.postbox.listThreadMessages(who.citizen.id, sent.threadId)).toHaveLength(1)
  })

  it('refuses a file over MAX_UPLOAD_BYTES and removes the blobs already written', async () => {
    const small = await makeTestApp(kind, { MAX_UPLOAD_BYTES: '2048' })
    try {
      const o = await createOffice(small.deps)
      const who = await citizenOf(small, o)
      const sent = await apiFor(small, who).send({ subject: 'Frage', body: 'x' })
      const err = await writeOfficeReply(small.deps, {
        officeId: o.id,
        threadId: sent.threadId,
        body: 'zu groß',
        source: 'efile',
        actor: { kind: 'staff', id: null },
        files: [file('klein.pdf', samples.pdf), file('gross.pdf', Buffer.alloc(4096, 1))],
      }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'replies.too_large', status: 413 })
      expect(blobFiles(small)).toHaveLength(0)
      expect(await small.deps.store.postbox.listThreadMessages(who.citizen.id, sent.threadId)).toHaveLength(1)
    } finally {
      await small.close()
    }
  })

  it('leaves no message, attachment, job or blob when the transaction fails after its writes', async () => {
    const who = await citizenOf(t, office)
    const sent = await apiFor(t, who).send({ subject: 'Frage', body: 'x' })
    const blobsBefore = blobFiles(t).length
    const checksBefore = await t.deps.queue.counts('upload.check')
    // Fault injection on the real store: every write of the unit runs, then the transaction throws.
    const store: Store = Object.create(t.deps.store, {
      transaction: {
        value: (fn: Parameters<Store['transaction']>[0]) =>
          t.deps.store.transaction(async (tx) => {
            await fn(tx)
            throw new Error('injected failure after the writes')
          }),
      },
    })
    const err = await writeOfficeReply(
      { ...t.deps, store },
      {
        officeId: office.id,
        threadId: sent.threadId,
        body: 'geht verloren',
        source: 'efile',
        actor: { kind: 'staff', id: null },
        files: [file('a.pdf', samples.pdf)],
      },
    ).catch((e: unknown) => e)
    expect((err as Error).message).toBe('injected failure after the writes')
    expect(await t.deps.store.postbox.listThreadMessages(who.citizen.id, sent.threadId)).toHaveLength(1)
    expect(blobFiles(t).length).toBe(blobsBefore)
    const checksAfter = await t.deps.queue.counts('upload.check')
    expect(checksAfter.waiting + checksAfter.active + checksAfter.completed).toBe(
      checksBefore.waiting + checksBefore.active + checksBefore.completed,
    )
  })

  it('refuses an empty reply and more than ten files', async () => {
    const who = await citizenOf(t, office)
    const sent = await apiFor(t, who).send({ subject: 'Frage', body: 'x' })
    const base = {
      officeId: office.id,
      threadId: sent.threadId,
      source: 'efile' as const,
      actor: { kind: 'staff' as const, id: null },
    }
    await expect(writeOfficeReply(t.deps, { ...base, body: '  ', files: [] })).rejects.toMatchObject({
      code: 'replies.empty',
    })
    const many = Array.from({ length: 11 }, (_, i) => file(`f${i}.pdf`, samples.pdf))
    await expect(writeOfficeReply(t.deps, { ...base, body: 'x', files: many })).rejects.toMatchObject({
      code: 'replies.too_many_files',
    })
  })
})
