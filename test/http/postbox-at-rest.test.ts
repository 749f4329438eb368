import { randomBytes } from 'node:crypto'
import { count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createThread } from '../../src/features/postbox/postbox.service.ts'
import * as pgSchema from '../../src/store/pg/schema.ts'
import type { PgStore } from '../../src/store/pg/store.ts'
import * as sqliteSchema from '../../src/store/sqlite/schema.ts'
import type { SqliteStore } from '../../src/store/sqlite/store.ts'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { markersFound, storedBytes } from '../helpers/raw-store.ts'
import { createOffice } from '../helpers/staff.ts'
import { apiFor, citizenOf, uploadedFile } from './postbox-fixtures.ts'

async function tokenCount(t: TestApp, citizenId: string): Promise<number> {
  const store = t.deps.store as SqliteStore | PgStore
  if (store.dialect === 'sqlite') {
    const st = sqliteSchema.searchTokens
    return store.exec(
      (db) => db.select({ n: count() }).from(st).where(eq(st.citizenId, citizenId)).all()[0]?.n ?? 0,
    )
  }
  const st = pgSchema.searchTokens
  const [row] = await store.db.select({ n: count() }).from(st).where(eq(st.citizenId, citizenId))
  return row?.n ?? 0
}

describeBackends('postbox data at rest', (kind) => {
  let t: TestApp
  let office: Office
  beforeAll(async () => {
    t = await makeTestApp(kind)
    office = await createOffice(t.deps)
  })
  afterAll(() => t.close())

  describe('security', () => {
    it('keeps markers in subject, body and file name out of every stored byte (file + WAL / every pg row)', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const tag = randomBytes(6).toString('hex').toUpperCase()
      const markers = { subject: `SUBJ${tag}`, body: `BODY${tag}`, fileName: `FILE${tag}` }
      const file = await uploadedFile(t, who, `${markers.fileName}.pdf`)
      const sent = await api.send({
        subject: `Betreff ${markers.subject}`,
        body: `Text ${markers.body} Ende`,
        attachmentIds: [file],
      })
      await api.send({ subject: `Entwurf ${markers.subject}`, body: markers.body, draft: true })
      expect((await api.list({ folder: 'sent', q: markers.body })).items.map((i) => i.id)).toEqual([
        sent.messageId,
      ])
      expect(await tokenCount(t, who.citizen.id)).toBeGreaterThan(10)
      const stored = await storedBytes(t.deps.config.db)
      expect(stored.length).toBeGreaterThan(0)
      expect(markersFound(stored, markers)).toEqual([])
      // The check itself can fail: the same scan finds a marker stored in plain text.
      expect(markersFound(stored, { office: office.code })).toEqual(['office'])
    })

    it('leaves no message, no tokens and no job when the send transaction fails', async () => {
      const who = await citizenOf(t, office)
      const before = await t.deps.queue.counts('message.route')
      const queue = Object.assign(Object.create(t.deps.queue), {
        async send(...args: Parameters<typeof t.deps.queue.send>) {
          await t.deps.queue.send(...args)
          throw new Error('fault injected after the job was written')
        },
      })
      await expect(
        createThread({ ...t.deps, queue }, who.citizen, {
          category: 'general',
          subject: 'Wird nie gespeichert',
          body: 'Auch dieser Text nicht',
          attachmentIds: [],
          draft: false,
        }),
      ).rejects.toThrow('fault injected')
      expect(await tokenCount(t, who.citizen.id)).toBe(0)
      expect(await t.deps.store.postbox.folderCounts(who.citizen.id)).toMatchObject({ sent: 0, drafts: 0 })
      expect(await t.deps.queue.counts('message.route')).toEqual(before)
      // The same call without the fault writes all three.
      await createThread(t.deps, who.citizen, {
        category: 'general',
        subject: 'Diesmal gespeichert',
        body: 'Text',
        attachmentIds: [],
        draft: false,
      })
      expect(await tokenCount(t, who.citizen.id)).toBeGreaterThan(0)
      expect((await t.deps.queue.counts('message.route')).waiting).toBe(before.waiting + 1)
    })
  })
})
