import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Office } from '../../src/store/store.types.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createOffice } from '../helpers/staff.ts'
import { type Api, apiFor, citizenOf, officeMessage, type Page, uploadedFile } from './postbox-fixtures.ts'

const ids = (page: Page): string[] => page.items.map((i) => i.id)

describeBackends('postbox search and pagination', (kind) => {
  let t: TestApp
  let office: Office
  beforeAll(async () => {
    t = await makeTestApp(kind)
    office = await createOffice(t.deps)
  })
  afterAll(() => t.close())

  describe('happy', () => {
    it('finds words by prefix from three characters and folds umlauts (Müller finds Mueller)', async () => {
      const api = apiFor(t, await citizenOf(t, office))
      const a = await api.send({ subject: 'Bescheinigung Herr Mueller', body: 'Kindergeld beantragt' })
      const b = await api.send({ subject: 'Straße', body: 'neue Adresse' })
      expect(ids(await api.list({ folder: 'sent', q: 'Müller' }))).toEqual([a.messageId])
      expect(ids(await api.list({ folder: 'sent', q: 'besch' }))).toEqual([a.messageId])
      expect(ids(await api.list({ folder: 'sent', q: 'KINDER' }))).toEqual([a.messageId])
      expect(ids(await api.list({ folder: 'sent', q: 'strasse' }))).toEqual([b.messageId])
      expect(ids(await api.list({ folder: 'sent', q: 'geld' }))).toEqual([])
    })

    it('combines words with AND and finds attachment file names', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const both = await api.send({ subject: 'Miete Juni', body: 'Kontoauszug' })
      await api.send({ subject: 'Miete Juli', body: 'Nebenkosten' })
      const file = await uploadedFile(t, who, 'Lohnabrechnung-Mai.pdf')
      const withFile = await api.send({ subject: 'Nachweis', body: 'siehe Anhang', attachmentIds: [file] })
      expect(ids(await api.list({ folder: 'sent', q: 'miete kontoauszug' }))).toEqual([both.messageId])
      expect((await api.list({ folder: 'sent', q: 'miete' })).items).toHaveLength(2)
      expect(ids(await api.list({ folder: 'sent', q: 'lohnabrechnung' }))).toEqual([withFile.messageId])
    })

    it('searches only inside the requested folder', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const sent = await api.send({ subject: 'Weiterbewilligung', body: 'Antrag' })
      const draft = await api.send({ subject: 'Weiterbewilligung Entwurf', body: 'Antrag', draft: true })
      const inbox = await officeMessage(t, who, sent.threadId, { body: 'Weiterbewilligung erteilt' })
      expect(ids(await api.list({ folder: 'sent', q: 'weiterbew' }))).toEqual([sent.messageId])
      expect(ids(await api.list({ folder: 'drafts', q: 'weiterbew' }))).toEqual([draft.messageId])
      expect(ids(await api.list({ folder: 'trash', q: 'weiterbew' }))).toEqual([])
      expect(ids(await api.list({ folder: 'inbox' }))).toEqual([inbox])
    })

    it('applies category, office, kind, unread, attachment and date filters together with the query', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const other = await createOffice(t.deps, 'Jobcenter Zwei')
      const change = await api.send({ category: 'change_notice', subject: 'Umzug Termin', body: 'x' })
      const appointment = await api.send({ category: 'appointment', subject: 'Umzug Termin', body: 'x' })
      const file = await uploadedFile(t, who)
      const withFile = await api.send({
        category: 'appointment',
        subject: 'Umzug Termin',
        body: 'y',
        attachmentIds: [file],
      })
      expect(ids(await api.list({ folder: 'sent', q: 'umzug', category: 'change_notice' }))).toEqual([
        change.messageId,
      ])
      expect(
        ids(
          await api.list({ folder: 'sent', q: 'termin', category: 'appointment', hasAttachments: 'false' }),
        ),
      ).toEqual([appointment.messageId])
      expect(ids(await api.list({ folder: 'sent', q: 'termin', hasAttachments: 'true' }))).toEqual([
        withFile.messageId,
      ])
      expect((await api.list({ folder: 'sent', office: office.id })).items).toHaveLength(3)
      expect((await api.list({ folder: 'sent', office: other.id })).items).toEqual([])
      expect((await api.list({ folder: 'sent', kind: 'notice' })).items).toEqual([])
      const future = new Date(Date.now() + 3_600_000).toISOString()
      expect((await api.list({ folder: 'sent', from: future })).items).toEqual([])
      expect((await api.list({ folder: 'sent', to: future, q: 'umzug' })).items).toHaveLength(3)
      const notice = await officeMessage(t, who, change.threadId, { kind: 'notice' })
      await officeMessage(t, who, change.threadId, { kind: 'message' })
      expect(ids(await api.list({ folder: 'inbox', kind: 'notice', unread: 'true' }))).toEqual([notice])
    })

    it('pages newest first with an opaque cursor that stays stable while new messages arrive', async () => {
      const api: Api = apiFor(t, await citizenOf(t, office))
      const sent: string[] = []
      for (let i = 0; i < 7; i++) sent.push((await api.send({ subject: `Seite ${i}`, body: 'x' })).messageId)
      // Same-millisecond sends order by id: take the canonical order from one full page.
      const all = ids(await api.list({ folder: 'sent' }))
      expect([...all].sort()).toEqual([...sent].sort())
      const first = await api.list({ folder: 'sent', limit: '3' })
      expect(ids(first)).toEqual(all.slice(0, 3))
      expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/)
      const late = await api.send({ subject: 'neu dazwischen', body: 'x' })
      const second = await api.list({ folder: 'sent', limit: '3', cursor: String(first.nextCursor) })
      expect(ids(second)).toEqual(all.slice(3, 6))
      const third = await api.list({ folder: 'sent', limit: '3', cursor: String(second.nextCursor) })
      expect(ids(third)).toEqual(all.slice(6))
      expect(ids(await api.list({ folder: 'sent', limit: '1' }))).toEqual([late.messageId])
      expect(third.nextCursor).toBeNull()
    })
  })

  describe('security', () => {
    it("never finds another citizen's messages, even for the same words", async () => {
      const a = apiFor(t, await citizenOf(t, office))
      const b = apiFor(t, await citizenOf(t, office))
      await a.send({ subject: 'Zauberwort Abrakadabra', body: 'x' })
      expect((await b.list({ folder: 'sent', q: 'abrakadabra' })).items).toEqual([])
      expect((await b.list({ folder: 'sent' })).items).toEqual([])
      expect((await a.list({ folder: 'sent', q: 'abrakadabra' })).items).toHaveLength(1)
    })
  })
})
