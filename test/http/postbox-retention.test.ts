import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { newBlobKey } from '../../src/blobs/blobs.port.ts'
import { citizenKey, sealForCitizen } from '../../src/crypto/citizen-keys.ts'
import { hashPassword } from '../../src/crypto/password.ts'
import { purgeExpiredTrash } from '../../src/features/postbox/postbox.retention.ts'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import type { SignedIn } from '../helpers/citizen.ts'
import { createOffice, jsonRequest } from '../helpers/staff.ts'
import { blobFiles } from './attachments-fixtures.ts'
import { apiFor, citizenOf } from './postbox-fixtures.ts'

const DAY = 86_400_000
const PASSWORD = 'Sicheres-Passwort#2026'

/** An uploaded file with a real encrypted blob on disk, not yet bound to a message. */
async function storedFile(t: TestApp, who: SignedIn): Promise<{ id: string; blobKey: string }> {
  const id = randomUUID()
  const blobKey = newBlobKey()
  const dek = citizenKey(t.deps.keyring, who.citizen)
  const content = Buffer.from('%PDF-1.4\nNachweis\n%%EOF\n')
  await t.deps.blobs.put(blobKey, Readable.from([content]), { dek, blobId: id, maxBytes: 1 << 20 })
  await t.deps.store.attachments.create({
    id,
    citizenId: who.citizen.id,
    nameEnc: sealForCitizen(dek, 'attachments', id, 'name', 'kontoauszug.pdf'),
    declaredType: 'application/pdf',
    size: content.length,
    blobKey,
    createdAt: new Date(),
  })
  return { id, blobKey }
}

const hasBlob = (t: TestApp, key: string) => blobFiles(t).some((f) => f.file.includes(key))

describeBackends('trash retention and profile deletion', (kind) => {
  let t: TestApp
  let office: Office
  let now: number
  beforeAll(async () => {
    t = await makeTestApp(kind, { TRASH_RETENTION_DAYS: '30' })
    office = await createOffice(t.deps)
    now = Date.now()
    t.deps.clock = () => new Date(now)
  })
  afterAll(() => t.close())

  it('removes trash older than TRASH_RETENTION_DAYS for good (rows, search hits, blobs) and keeps younger trash', async () => {
    const who = await citizenOf(t, office)
    const api = apiFor(t, who)
    const file = await storedFile(t, who)
    const old = await api.send({ subject: 'Altlast Zahlung', body: 'alt', attachmentIds: [file.id] })
    const young = await api.send({ subject: 'Neulich Zahlung', body: 'neu' })
    const kept = await api.send({ subject: 'Behalten Zahlung', body: 'bleibt' })
    now = Date.now() - 31 * DAY
    expect((await api.call('DELETE', `/v1/postbox/messages/${old.messageId}`)).status).toBe(200)
    now = Date.now() - 29 * DAY
    expect((await api.call('DELETE', `/v1/postbox/messages/${young.messageId}`)).status).toBe(200)
    now = Date.now()
    expect(hasBlob(t, file.blobKey)).toBe(true)

    expect(await purgeExpiredTrash(t.deps)).toBe(1)

    expect(await t.deps.store.postbox.getMessage(who.citizen.id, old.messageId)).toBeNull()
    expect(await t.deps.store.postbox.getThread(who.citizen.id, old.threadId)).toBeNull()
    expect(await t.deps.store.attachments.get(who.citizen.id, file.id)).toBeNull()
    expect(hasBlob(t, file.blobKey)).toBe(false)
    const trash = await api.list({ folder: 'trash', q: 'zahlung' })
    expect(trash.items.map((i) => i.id)).toEqual([young.messageId])
    expect((await api.list({ folder: 'sent', q: 'zahlung' })).items.map((i) => i.id)).toEqual([
      kept.messageId,
    ])
    const audit = (await t.deps.store.audit.list(0, 10_000)).filter(
      (e) => e.action === 'postbox.purge_message' && e.subjectId === old.messageId,
    )
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      actorKind: 'system',
      details: { reason: 'trash_retention', attachments: 1 },
    })
  })

  it('leaves a message restored from the trash alone, and a second run finds nothing', async () => {
    const who = await citizenOf(t, office)
    const api = apiFor(t, who)
    const sent = await api.send({ subject: 'Zurückgeholt', body: 'wieder da' })
    now = Date.now() - 40 * DAY
    await api.call('DELETE', `/v1/postbox/messages/${sent.messageId}`)
    now = Date.now()
    expect((await api.call('POST', `/v1/postbox/messages/${sent.messageId}/restore`)).status).toBe(200)
    expect(await purgeExpiredTrash(t.deps)).toBe(0)
    expect(await t.deps.store.postbox.getMessage(who.citizen.id, sent.messageId)).not.toBeNull()
  })

  it('runs hourly as the retention.purge job through the queue', async () => {
    const who = await citizenOf(t, office)
    const api = apiFor(t, who)
    const sent = await api.send({ subject: 'Per Job', body: 'weg' })
    now = Date.now() - 31 * DAY
    await api.call('DELETE', `/v1/postbox/messages/${sent.messageId}`)
    now = Date.now()
    const { registry, schedules } = await import('../../workers/registry.ts')
    expect(schedules).toContainEqual({ name: 'retention.purge', cron: '41 * * * *' })
    await t.deps.queue.work('retention.purge', (payload, ctx) =>
      registry['retention.purge'](t.deps, payload, ctx),
    )
    await t.deps.queue.send('retention.purge', {})
    const deadline = Date.now() + 10_000
    while ((await t.deps.store.postbox.getMessage(who.citizen.id, sent.messageId)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    expect(await t.deps.store.postbox.getMessage(who.citizen.id, sent.messageId)).toBeNull()
  })

  it('deleting the profile destroys the data key and removes every attachment blob of the citizen', async () => {
    const who = await citizenOf(t, office)
    await t.deps.store.citizens.update(who.citizen.id, { passwordHash: await hashPassword(PASSWORD) })
    const api = apiFor(t, who)
    const bound = await storedFile(t, who)
    const unbound = await storedFile(t, who)
    await api.send({ subject: 'Mit Anhang', body: 'x', attachmentIds: [bound.id] })
    const res = await t.app.request(
      '/v1/profile',
      jsonRequest('DELETE', who.headers(), { password: PASSWORD }),
    )
    expect(res.status).toBe(204)
    expect(await t.deps.store.citizens.get(who.citizen.id)).toBeNull()
    expect(await t.deps.store.attachments.get(who.citizen.id, bound.id)).toBeNull()
    expect(hasBlob(t, bound.blobKey)).toBe(false)
    expect(hasBlob(t, unbound.blobKey)).toBe(false)
  })
})
