import { afterEach, expect, it } from 'vitest'
import { retireKey, rotateKeys } from '../../src/features/keys/keys.service.ts'
import { describeBackends } from '../helpers/backends.ts'
import { ADDRESS, type NoticeWorld, noticeWorld, postTextNotice, waitNotice } from './notices-fixtures.ts'

describeBackends('notice data keys and KEK rotation', (kind) => {
  let w: NoticeWorld
  afterEach(async () => w?.close())

  it('rewraps notice keys on keys rotate and refuses to retire a KEK a notice still uses', async () => {
    // Key file mode (the embedded default), so rotate can add a KEK.
    w = await noticeWorld(
      kind,
      { POSTKORB_KEYS: undefined, POSTKORB_INDEX_KEY: undefined },
      {
        workers: false,
      },
    )
    const { json } = await postTextNotice(w, { customerNumber: 'K-KEYS', postalAddress: { lines: ADDRESS } })
    const before = await w.t.deps.store.notices.getForJob(json.id)
    const oldId = before?.dekKeyId ?? ''
    expect(oldId).toBe(w.t.deps.keyring.activeId)

    // The new KEK is written, nothing rewrapped yet: the old one must stay.
    const started = await rotateKeys(w.t.deps, { maxBatches: 0 })
    expect(started.generatedKeyId).not.toBeNull()
    await expect(retireKey(w.t.deps, oldId)).rejects.toMatchObject({
      code: 'keys.key_in_use',
      extra: { notices: 1 },
    })

    const done = await rotateKeys(w.t.deps)
    expect(done.remaining).toBe(0)
    const after = await w.t.deps.store.notices.getForJob(json.id)
    expect(after?.dekKeyId).toBe(started.generatedKeyId)
    expect(await retireKey(w.t.deps, oldId)).toMatchObject({ removed: true })

    // The notice still opens under the new KEK: its letter renders.
    await w.startWorkers()
    await waitNotice(w, json.id, (n) => n.state === 'printing')
  })
})
