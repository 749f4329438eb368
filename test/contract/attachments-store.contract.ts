import { randomBytes, randomUUID } from 'node:crypto'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { AttachmentLimitError } from '../../src/store/attachments.port.ts'
import type { NewAttachment } from '../../src/store/attachments.types.ts'
import type { AnyStore } from '../../src/store/create-store.ts'
import * as pgSchema from '../../src/store/pg/schema.ts'
import * as sqliteSchema from '../../src/store/sqlite/schema.ts'
import { type BackendKind, makeTestDatabase, type TestDatabase } from '../helpers/backends.ts'
import { newCitizen, newOffice, openStore } from './store.contract.ts'

const T0 = new Date('2030-05-06T07:08:09.000Z')

/** The attachment repository on every backend: owner scoping, the per-message limit, scan outcomes, deletion. */
export function runAttachmentStoreContract(kind: BackendKind) {
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
  const newAttachment = (citizenId: string, at = T0): NewAttachment => {
    const id = randomUUID()
    return {
      id,
      citizenId,
      nameEnc: randomBytes(40),
      declaredType: 'application/pdf',
      size: 1234,
      blobKey: id,
      createdAt: at,
    }
  }
  const upload = (citizenId: string, at = T0) => store.attachments.create(newAttachment(citizenId, at))

  // The message repository is another part's work; a thread and a message row written through drizzle suffice here.
  async function message(citizenId: string): Promise<string> {
    const threadId = randomUUID()
    const messageId = randomUUID()
    const thread = {
      id: threadId,
      citizenId,
      officeId,
      category: 'general',
      reference: `REF-${threadId}`,
      subjectEnc: randomBytes(20),
      createdAt: T0,
      updatedAt: T0,
    }
    const msg = {
      id: messageId,
      threadId,
      citizenId,
      officeId,
      direction: 'in',
      kind: 'message',
      state: 'draft',
      citizenFolder: 'drafts',
      bodyEnc: randomBytes(20),
      createdAt: T0,
    }
    if (store.dialect === 'sqlite') {
      await store.exec((db) => {
        db.insert(sqliteSchema.threads).values(thread).run()
        db.insert(sqliteSchema.messages).values(msg).run()
      })
    } else {
      await store.db.insert(pgSchema.threads).values(thread)
      await store.db.insert(pgSchema.messages).values(msg)
    }
    return messageId
  }

  it('creates a pending, unbound attachment and reads it back only for its owner', async () => {
    const owner = await citizen()
    const stranger = await citizen()
    const input = newAttachment(owner)
    const created = await store.attachments.create(input)
    expect(created).toMatchObject({
      id: input.id,
      messageId: null,
      scanState: 'pending',
      detectedType: null,
      scanDetail: null,
      size: 1234,
    })
    const got = await store.attachments.get(owner, input.id)
    expect(got).toEqual(created)
    expect(got?.nameEnc.equals(input.nameEnc)).toBe(true)
    expect(got?.createdAt).toEqual(T0)
    expect(await store.attachments.get(stranger, input.id)).toBeNull()
    expect(await store.attachments.get(owner, randomUUID())).toBeNull()
    expect(await store.attachments.getForCheck(input.id)).toEqual(created)
  })

  it('binds only the caller’s own unbound attachments to the caller’s own message and lists them oldest first', async () => {
    const owner = await citizen()
    const stranger = await citizen()
    const msg = await message(owner)
    const later = await upload(owner, new Date(T0.getTime() + 1000))
    const earlier = await upload(owner)
    const foreign = await upload(stranger)
    const n = await store.attachments.bindToMessage(owner, msg, [
      later.id,
      earlier.id,
      foreign.id,
      randomUUID(),
    ])
    expect(n).toBe(2)
    expect((await store.attachments.listForMessage(owner, msg)).map((x) => x.id)).toEqual([
      earlier.id,
      later.id,
    ])
    expect(await store.attachments.listForMessage(stranger, msg)).toEqual([])
    expect((await store.attachments.get(stranger, foreign.id))?.messageId).toBeNull()
    // already bound: binding again (to the same or another message) changes nothing
    const second = await message(owner)
    expect(await store.attachments.bindToMessage(owner, second, [earlier.id])).toBe(0)
    expect((await store.attachments.get(owner, earlier.id))?.messageId).toBe(msg)
  })

  it('binds nothing to another citizen’s message', async () => {
    const owner = await citizen()
    const stranger = await citizen()
    const strangersMessage = await message(stranger)
    const mine = await upload(owner)
    expect(await store.attachments.bindToMessage(owner, strangersMessage, [mine.id])).toBe(0)
    expect((await store.attachments.get(owner, mine.id))?.messageId).toBeNull()
  })

  it('refuses an eleventh attachment on a message and binds none of a batch that would pass the limit', async () => {
    const owner = await citizen()
    const msg = await message(owner)
    const first = await Promise.all(Array.from({ length: 8 }, () => upload(owner)))
    expect(
      await store.attachments.bindToMessage(
        owner,
        msg,
        first.map((x) => x.id),
      ),
    ).toBe(8)
    const three = await Promise.all(Array.from({ length: 3 }, () => upload(owner)))
    await expect(
      store.attachments.bindToMessage(
        owner,
        msg,
        three.map((x) => x.id),
      ),
    ).rejects.toBeInstanceOf(AttachmentLimitError)
    for (const x of three) expect((await store.attachments.get(owner, x.id))?.messageId).toBeNull()
    expect(await store.attachments.bindToMessage(owner, msg, [three[0]?.id ?? '', three[1]?.id ?? ''])).toBe(
      2,
    )
    expect(await store.attachments.listForMessage(owner, msg)).toHaveLength(10)
  })

  it('binds to a fresh message (written in the same transaction) what an ordinary bind would, up to the limit', async () => {
    const owner = await citizen()
    const stranger = await citizen()
    const msg = await message(owner)
    const mine = await Promise.all(Array.from({ length: 2 }, () => upload(owner)))
    const foreign = await upload(stranger)
    const ids = [...mine.map((x) => x.id), mine[0]?.id ?? '', foreign.id, randomUUID()]
    expect(await store.attachments.bindToMessage(owner, msg, ids, { fresh: true })).toBe(2)
    expect((await store.attachments.get(stranger, foreign.id))?.messageId).toBeNull()
    // already bound ones stay where they are
    expect(await store.attachments.bindToMessage(owner, await message(owner), ids, { fresh: true })).toBe(0)
    const eleven = await Promise.all(Array.from({ length: 11 }, () => upload(owner)))
    const other = await message(owner)
    await expect(
      store.attachments.bindToMessage(
        owner,
        other,
        eleven.map((x) => x.id),
        { fresh: true },
      ),
    ).rejects.toBeInstanceOf(AttachmentLimitError)
    expect(await store.attachments.listForMessage(owner, other)).toEqual([])
  })

  it('lets two concurrent binds to one message together stay within the limit', async () => {
    const owner = await citizen()
    const msg = await message(owner)
    const batchA = await Promise.all(Array.from({ length: 6 }, () => upload(owner)))
    const batchB = await Promise.all(Array.from({ length: 6 }, () => upload(owner)))
    const results = await Promise.allSettled([
      store.attachments.bindToMessage(
        owner,
        msg,
        batchA.map((x) => x.id),
      ),
      store.attachments.bindToMessage(
        owner,
        msg,
        batchB.map((x) => x.id),
      ),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(await store.attachments.listForMessage(owner, msg)).toHaveLength(6)
  })

  it('records a scan result once from pending and refuses to overwrite it unless asked from that state', async () => {
    const owner = await citizen()
    const att = await upload(owner)
    expect(
      await store.attachments.setScanResult(att.id, {
        state: 'infected',
        detail: 'Eicar-Signature',
        detectedType: 'application/pdf',
      }),
    ).toBe(true)
    expect(await store.attachments.setScanResult(att.id, { state: 'clean' })).toBe(false)
    expect(await store.attachments.get(owner, att.id)).toMatchObject({
      scanState: 'infected',
      scanDetail: 'Eicar-Signature',
      detectedType: 'application/pdf',
    })
    expect(await store.attachments.setScanResult(att.id, { state: 'scan_failed' }, ['infected'])).toBe(true)
    expect(await store.attachments.get(owner, att.id)).toMatchObject({
      scanState: 'scan_failed',
      scanDetail: null,
      detectedType: 'application/pdf',
    })
    expect(await store.attachments.setScanResult(randomUUID(), { state: 'clean' })).toBe(false)
  })

  it('counts only the citizen’s own attachments that belong to no message', async () => {
    const owner = await citizen()
    const stranger = await citizen()
    const msg = await message(owner)
    const [bound, loose] = await Promise.all([upload(owner), upload(owner), upload(owner)])
    await upload(stranger)
    await store.attachments.bindToMessage(owner, msg, [bound?.id ?? ''])
    expect(await store.attachments.countUnbound(owner)).toBe(2)
    await store.attachments.deleteUnbound(owner, loose?.id ?? '')
    expect(await store.attachments.countUnbound(owner)).toBe(1)
    expect(await store.attachments.countUnbound(stranger)).toBe(1)
  })

  it('deletes an unbound attachment only for its owner and returns its blob key once', async () => {
    const owner = await citizen()
    const stranger = await citizen()
    const att = await upload(owner)
    expect(await store.attachments.deleteUnbound(stranger, att.id)).toBeNull()
    expect(await store.attachments.deleteUnbound(owner, att.id)).toBe(att.blobKey)
    expect(await store.attachments.deleteUnbound(owner, att.id)).toBeNull()
    expect(await store.attachments.get(owner, att.id)).toBeNull()
  })

  it('keeps a bound attachment from the unbound delete and removes it with its message’s attachments', async () => {
    const owner = await citizen()
    const stranger = await citizen()
    const msg = await message(owner)
    const bound = await Promise.all([upload(owner), upload(owner)])
    const loose = await upload(owner)
    await store.attachments.bindToMessage(
      owner,
      msg,
      bound.map((x) => x.id),
    )
    expect(await store.attachments.deleteUnbound(owner, bound[0]?.id ?? '')).toBeNull()
    expect(await store.attachments.deleteForMessage(stranger, msg)).toEqual([])
    expect((await store.attachments.deleteForMessage(owner, msg)).sort()).toEqual(
      bound.map((x) => x.blobKey).sort(),
    )
    expect(await store.attachments.listForMessage(owner, msg)).toEqual([])
    expect(await store.attachments.get(owner, loose.id)).not.toBeNull()
  })

  it('loses a citizen’s attachments with the citizen row', async () => {
    const owner = await citizen()
    const att = await upload(owner)
    await store.citizens.delete(owner)
    expect(await store.attachments.getForCheck(att.id)).toBeNull()
  })
}
