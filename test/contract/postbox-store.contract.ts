import { randomBytes, randomUUID } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { AnyStore } from '../../src/store/create-store.ts'
import type { Message, Thread } from '../../src/store/postbox.port.ts'
import { type BackendKind, makeTestDatabase, type TestDatabase } from '../helpers/backends.ts'
import { newCitizen, newOffice, openStore } from './store.contract.ts'

const T0 = new Date('2030-05-06T07:08:09.000Z')
const at = (s: number) => new Date(T0.getTime() + s * 1000)

/** The postbox repository on every backend: owner and office scoping, drafts, tokens, search, paging. */
export function runPostboxStoreContract(kind: BackendKind) {
  let database: TestDatabase
  let store: AnyStore
  let officeId: string

  beforeEach(async () => {
    database = await makeTestDatabase(kind)
    store = openStore(database.url)
    await store.migrate()
    officeId = (await store.offices.create(newOffice('JC-1'))).id
  })
  afterEach(async () => {
    await store.close()
    await database.cleanup()
  })

  const citizen = async () => (await store.citizens.create(newCitizen(officeId))).id
  async function thread(citizenId: string, category = 'general'): Promise<Thread> {
    const t: Thread = {
      id: randomUUID(),
      citizenId,
      officeId,
      category,
      reference: `R-${randomUUID()}`,
      subjectEnc: randomBytes(32),
      createdAt: T0,
      updatedAt: T0,
    }
    await store.postbox.createThread(t)
    return t
  }
  async function message(t: Thread, over: Partial<Message> = {}, tokens: Buffer[] = []): Promise<Message> {
    const m: Message = {
      id: randomUUID(),
      threadId: t.id,
      citizenId: t.citizenId,
      officeId: t.officeId,
      direction: 'citizen_to_office',
      kind: 'message',
      state: 'submitted',
      citizenFolder: 'sent',
      bodyEnc: randomBytes(48),
      createdAt: T0,
      sentAt: T0,
      readAt: T0,
      retrievedAt: null,
      trashedAt: null,
      ...over,
    }
    await store.postbox.insertMessage(m, tokens)
    return m
  }
  const token = (word: string) => Buffer.from(word.padEnd(16, '.'))

  it('reads threads and messages only for their owner and their office', async () => {
    const a = await citizen()
    const b = await citizen()
    const t = await thread(a)
    const m = await message(t)
    expect(await store.postbox.getThread(a, t.id)).toEqual(t)
    expect(await store.postbox.getMessage(a, m.id)).toEqual(m)
    expect(await store.postbox.getThread(b, t.id)).toBeNull()
    expect(await store.postbox.getMessage(b, m.id)).toBeNull()
    expect(await store.postbox.listThreadMessages(b, t.id)).toEqual([])
    const other = (await store.offices.create(newOffice('JC-2'))).id
    expect(await store.postbox.getThreadForOffice(officeId, t.id)).toEqual(t)
    expect(await store.postbox.getThreadForOffice(other, t.id)).toBeNull()
    expect(await store.postbox.listThreadMessagesForOffice(other, t.id)).toEqual([])
    expect(await store.postbox.markRead(b, m.id, T0)).toBeNull()
    expect(await store.postbox.moveToFolder(b, m.id, 'trash', T0)).toBe(false)
    expect(await store.postbox.deleteMessage(b, m.id)).toBe(false)
  })

  it('hides drafts from the office and edits a draft only until it is sent', async () => {
    const a = await citizen()
    const t = await thread(a)
    const d = await message(t, { state: 'draft', citizenFolder: 'drafts', sentAt: null }, [token('alt')])
    expect(await store.postbox.listThreadMessagesForOffice(officeId, t.id)).toEqual([])
    expect(await store.postbox.updateDraft(a, d.id, Buffer.from('new'), [token('neu')])).toBe(true)
    expect(
      (await store.postbox.list({ citizenId: a, folder: 'drafts', tokens: [token('alt')], limit: 10 }))
        .length,
    ).toBe(0)
    expect(
      (await store.postbox.list({ citizenId: a, folder: 'drafts', tokens: [token('neu')], limit: 10 }))
        .length,
    ).toBe(1)
    expect(await store.postbox.markSent(a, d.id, at(5))).toBe(true)
    expect(await store.postbox.markSent(a, d.id, at(6))).toBe(false)
    expect(await store.postbox.updateDraft(a, d.id, Buffer.from('x'), [])).toBe(false)
    expect(await store.postbox.getMessage(a, d.id)).toMatchObject({
      state: 'submitted',
      citizenFolder: 'sent',
      sentAt: at(5),
    })
  })

  it('records the first retrieval of an office message once and never for own messages', async () => {
    const a = await citizen()
    const t = await thread(a)
    const inbound = await message(t, { direction: 'office_to_citizen', citizenFolder: 'inbox', readAt: null })
    const own = await message(t)
    expect(await store.postbox.markRead(a, inbound.id, at(1))).toMatchObject({
      readAt: at(1),
      retrievedAt: at(1),
    })
    expect(await store.postbox.markRead(a, inbound.id, at(2))).toMatchObject({
      readAt: at(1),
      retrievedAt: at(1),
    })
    expect(await store.postbox.markRead(a, own.id, at(3))).toMatchObject({ retrievedAt: null })
    expect(await store.postbox.folderCounts(a)).toEqual({
      inbox: 1,
      sent: 1,
      drafts: 0,
      trash: 0,
      unreadInbox: 0,
    })
  })

  it('finds messages holding every token, scoped to the citizen and folder, newest first', async () => {
    const a = await citizenAndSearch()
    const [x, y, z] = [token('xx'), token('yy'), token('zz')]
    const t = await thread(a.id, 'evidence')
    const m1 = await message(t, { createdAt: at(1) }, [x, y])
    const m2 = await message(t, { createdAt: at(2) }, [x])
    await message(t, { createdAt: at(3), citizenFolder: 'trash' }, [x, y])
    const other = await thread(a.other)
    await message(other, { createdAt: at(4) }, [x, y])
    const ids = async (q: Parameters<typeof store.postbox.list>[0]) =>
      (await store.postbox.list(q)).map((r) => r.id)
    expect(await ids({ citizenId: a.id, folder: 'sent', tokens: [x], limit: 10 })).toEqual([m2.id, m1.id])
    expect(await ids({ citizenId: a.id, folder: 'sent', tokens: [x, y], limit: 10 })).toEqual([m1.id])
    expect(await ids({ citizenId: a.id, folder: 'sent', tokens: [x, y, z], limit: 10 })).toEqual([])
    expect(
      await ids({ citizenId: a.id, folder: 'sent', tokens: [x], category: 'general', limit: 10 }),
    ).toEqual([])
    expect(await ids({ citizenId: a.id, folder: 'sent', tokens: [x], from: at(2), limit: 10 })).toEqual([
      m2.id,
    ])
    expect(await ids({ citizenId: a.id, folder: 'sent', tokens: [x], to: at(1), limit: 10 })).toEqual([m1.id])
    expect(
      await ids({ citizenId: a.id, folder: 'sent', before: { createdAt: at(2), id: m2.id }, limit: 10 }),
    ).toEqual([m1.id])
  })

  // More rows than the rare-word limit of the PostgreSQL search, so both of its plans answer here.
  it('pages a word held by hundreds of messages like a rare one: newest first, id breaks ties, AND with rare words', async () => {
    const a = await citizenAndSearch()
    const [common, rare, absent] = [token('common'), token('rare'), token('absent')]
    const t = await thread(a.id)
    const sent: Message[] = []
    const holdsRare = new Set<string>()
    for (let i = 0; i < 320; i++) {
      // Pairs share a timestamp; every fifth message is in the trash, every seventh holds the rare word too.
      const folder = i % 5 === 0 ? 'trash' : 'sent'
      const m = await message(t, { createdAt: at(Math.floor(i / 2)), citizenFolder: folder }, [
        common,
        ...(i % 7 === 0 ? [rare] : []),
      ])
      if (folder === 'sent') sent.push(m)
      if (i % 7 === 0) holdsRare.add(m.id)
    }
    await message(await thread(a.other), { createdAt: at(999) }, [common, rare])
    const newestFirst = (ms: Message[]) =>
      [...ms]
        .sort((p, q) => q.createdAt.getTime() - p.createdAt.getTime() || (q.id < p.id ? -1 : 1))
        .map((m) => m.id)
    const ids = async (q: Parameters<typeof store.postbox.list>[0]) =>
      (await store.postbox.list(q)).map((r) => r.id)
    const all = newestFirst(sent)
    const first = await ids({ citizenId: a.id, folder: 'sent', tokens: [common], limit: 25 })
    expect(first).toEqual(all.slice(0, 25))
    const last = sent.find((m) => m.id === first.at(-1)) as Message
    expect(
      await ids({
        citizenId: a.id,
        folder: 'sent',
        tokens: [common],
        before: { createdAt: last.createdAt, id: last.id },
        limit: 25,
      }),
    ).toEqual(all.slice(25, 50))
    const withRare = newestFirst(sent.filter((m) => holdsRare.has(m.id)))
    expect(await ids({ citizenId: a.id, folder: 'sent', tokens: [common, rare], limit: 100 })).toEqual(
      withRare,
    )
    expect(await ids({ citizenId: a.id, folder: 'sent', tokens: [rare, common], limit: 100 })).toEqual(
      withRare,
    )
    expect(await ids({ citizenId: a.id, folder: 'sent', tokens: [common, absent], limit: 10 })).toEqual([])
    expect((await ids({ citizenId: a.id, folder: 'trash', tokens: [common], limit: 100 })).length).toBe(64)
  })

  it('removes a message with its tokens and its thread once empty', async () => {
    const a = await citizen()
    const t = await thread(a)
    const m = await message(t, {}, [token('weg')])
    expect(await store.postbox.deleteMessage(a, m.id)).toBe(true)
    expect(await store.postbox.getMessage(a, m.id)).toBeNull()
    expect(await store.postbox.getThread(a, t.id)).toBeNull()
    expect(
      await store.postbox.list({ citizenId: a, folder: 'sent', tokens: [token('weg')], limit: 10 }),
    ).toEqual([])
  })

  it('rolls back a message and its tokens when the transaction throws after an await', async () => {
    const a = await citizen()
    const t = await thread(a)
    await expect(
      store.transaction(async (tx) => {
        await tx.postbox.insertMessage(
          {
            id: randomUUID(),
            threadId: t.id,
            citizenId: a,
            officeId,
            direction: 'citizen_to_office',
            kind: 'message',
            state: 'submitted',
            citizenFolder: 'sent',
            bodyEnc: randomBytes(8),
            createdAt: T0,
            sentAt: T0,
            readAt: T0,
            retrievedAt: null,
            trashedAt: null,
          },
          [token('rollback')],
        )
        await new Promise((r) => setTimeout(r, 1))
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    expect(await store.postbox.folderCounts(a)).toMatchObject({ sent: 0 })
    expect(
      await store.postbox.list({ citizenId: a, folder: 'sent', tokens: [token('rollback')], limit: 5 }),
    ).toEqual([])
  })

  async function citizenAndSearch() {
    return { id: await citizen(), other: await citizen() }
  }
}
