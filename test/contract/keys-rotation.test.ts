import { readdirSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, expect, it } from 'vitest'
import { readKeyFile } from '../../src/crypto/key-file.ts'
import { loadKeyring } from '../../src/crypto/keyring.ts'
import { retireKey, rewrapDataKeys, rotateKeys } from '../../src/features/keys/keys.service.ts'
import type { Tx } from '../../src/store/store.port.ts'
import { describeBackends } from '../helpers/backends.ts'
import {
  expectAllUnder,
  fileKeys,
  inlineKeys,
  type KeysWorld,
  newIndexKey,
  newKek,
  openKeysWorld,
  readEveryEmail,
  seedCitizens,
  withKeys,
} from './keys-fixtures.ts'

const worlds: KeysWorld[] = []
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close()
})

async function world(kind: 'sqlite' | 'pg', keys: Record<string, string | undefined> = fileKeys) {
  const w = await openKeysWorld(kind, keys)
  worlds.push(w)
  return w
}

const auditActions = async (w: KeysWorld) => (await w.store.audit.list(0, 1000)).map((e) => e.action)

describeBackends('key rotation', (kind) => {
  it('adds a new active key to the key file, rewraps every data key to it, and every email still decrypts', async () => {
    const w = await world(kind)
    const oldId = w.keyring.activeId
    const seeded = await seedCitizens(w.store, w.keyring, 25)

    const r = await rotateKeys(w, { batchSize: 7 })

    expect(r.generatedKeyId).not.toBeNull()
    expect(r.generatedKeyId).not.toBe(oldId)
    expect(r).toMatchObject({ targetKeyId: r.generatedKeyId, done: 25, skipped: 0, batches: 4, remaining: 0 })
    expect(r.fromKeyIds).toEqual({ [oldId]: 25 })
    const file = readKeyFile(w.config.keys.file)
    expect(file.active).toBe(r.generatedKeyId)
    expect(Object.keys(file.keys).sort()).toEqual([oldId, r.generatedKeyId].sort())
    await expectAllUnder(w.store, r.targetKeyId, 25)
    const restarted = loadKeyring(w.config.keys)
    expect(new Set(await readEveryEmail(w.store, restarted, seeded))).toEqual(new Set([r.targetKeyId]))
    const audit = (await w.store.audit.list(0, 100)).filter((e) => e.action === 'keys.rotated')
    expect(audit).toHaveLength(1)
    expect(audit[0]?.details).toMatchObject({
      toKeyId: r.targetKeyId,
      rewrapped: 25,
      fromKeyIds: { [oldId]: 25 },
    })
    expect(JSON.stringify(audit[0]?.details)).not.toContain(file.keys[r.targetKeyId] ?? '?')
  })

  it('a second pass under the same active key rewraps nothing and leaves every wrapped key as it was', async () => {
    const w = await world(kind)
    const seeded = await seedCitizens(w.store, w.keyring, 6)
    await rotateKeys(w, { batchSize: 4 })
    const keyring = loadKeyring(w.config.keys)
    const before = await Promise.all(seeded.map(async (s) => (await w.store.citizens.get(s.id))?.dekWrapped))

    const again = await rewrapDataKeys(w.store, keyring, { batchSize: 4 })

    expect(again).toMatchObject({ done: 0, skipped: 0, batches: 0, total: 0, remaining: 0 })
    const after = await Promise.all(seeded.map(async (s) => (await w.store.citizens.get(s.id))?.dekWrapped))
    expect(after.map((b) => b?.toString('hex'))).toEqual(before.map((b) => b?.toString('hex')))
  })

  it('the postbox stays readable throughout: a reader opening every citizen in a loop never fails while small batches are rewrapped', async () => {
    const w = await world(kind)
    const seeded = await seedCitizens(w.store, w.keyring, 40)
    // The reader's keyring was loaded before the rotation, like a running server's.
    const serverKeyring = w.keyring
    let rotating = true
    let passes = 0
    let mixedPasses = 0
    const reader = (async () => {
      while (rotating) {
        const ids = await readEveryEmail(w.store, serverKeyring, seeded)
        passes++
        if (new Set(ids).size > 1) mixedPasses++
        await sleep(0)
      }
    })()

    const r = await rotateKeys(w, { batchSize: 3, onBatch: () => sleep(5) })
    rotating = false
    await reader

    expect(r).toMatchObject({ done: 40, remaining: 0, batches: 14 })
    expect(passes).toBeGreaterThan(3)
    expect(mixedPasses).toBeGreaterThan(0)
    expect(serverKeyring.activeId).toBe(r.targetKeyId)
    expect(new Set(await readEveryEmail(w.store, serverKeyring, seeded))).toEqual(new Set([r.targetKeyId]))
  })

  it('after a crash between batches a rerun continues with the rest and generates no second key', async () => {
    const w = await world(kind)
    const oldId = w.keyring.activeId
    const seeded = await seedCitizens(w.store, w.keyring, 23)

    const crash = rotateKeys(w, {
      batchSize: 5,
      onBatch: (p) => {
        if (p.batches === 2) throw new Error('simulated crash')
      },
    })
    await expect(crash).rejects.toThrow('simulated crash')
    const newId = readKeyFile(w.config.keys.file).active
    expect(await w.store.citizens.countByKeyId()).toEqual({ [newId]: 10, [oldId]: 13 })

    const rerun = await rotateKeys(withKeys(w, fileKeys), { batchSize: 5 })

    expect(rerun).toMatchObject({
      generatedKeyId: null,
      targetKeyId: newId,
      total: 13,
      done: 13,
      remaining: 0,
    })
    expect(Object.keys(readKeyFile(w.config.keys.file).keys)).toHaveLength(2)
    await expectAllUnder(w.store, newId, 23)
    await readEveryEmail(w.store, loadKeyring(w.config.keys), seeded)
  })

  it('a crash inside a batch rolls that whole batch back and the rerun completes', async () => {
    const w = await world(kind)
    const oldId = w.keyring.activeId
    const seeded = await seedCitizens(w.store, w.keyring, 12)
    let calls = 0
    const failingStore = {
      citizens: w.store.citizens,
      transaction: <T>(fn: (tx: Tx) => Promise<T>) =>
        w.store.transaction((tx) => {
          const citizens = {
            ...tx.citizens,
            rewrapDek: async (...a: Parameters<Tx['citizens']['rewrapDek']>) => {
              if (++calls === 7) throw new Error('simulated crash mid-batch')
              return tx.citizens.rewrapDek(...a)
            },
          }
          return fn({ ...tx, citizens } as Tx)
        }),
    }
    // maxBatches 0 adds the new key and stops: the state right after the key file write.
    await rotateKeys(w, { maxBatches: 0 })
    const target = loadKeyring(w.config.keys)
    expect(target.activeId).not.toBe(oldId)

    await expect(rewrapDataKeys(failingStore, target, { batchSize: 5 })).rejects.toThrow('mid-batch')
    expect(await w.store.citizens.countByKeyId()).toEqual({ [target.activeId]: 5, [oldId]: 7 })

    const rerun = await rotateKeys(withKeys(w, fileKeys), { batchSize: 5 })
    expect(rerun).toMatchObject({ generatedKeyId: null, done: 7, remaining: 0 })
    await readEveryEmail(w.store, target, seeded)
  })

  it('a batch limit stops with the rest on the old key, and the next run finishes', async () => {
    const w = await world(kind)
    const oldId = w.keyring.activeId
    await seedCitizens(w.store, w.keyring, 9)

    const first = await rotateKeys(w, { batchSize: 4, maxBatches: 1 })
    expect(first).toMatchObject({ done: 4, batches: 1, remaining: 5 })
    expect(await w.store.citizens.countByKeyId()).toEqual({ [first.targetKeyId]: 4, [oldId]: 5 })

    const second = await rotateKeys(w, { batchSize: 4 })
    expect(second).toMatchObject({
      generatedKeyId: null,
      targetKeyId: first.targetKeyId,
      done: 5,
      remaining: 0,
    })
  })

  it('two rewraps running at once are harmless: each row is rewrapped once and still opens', async () => {
    const w = await world(kind)
    const seeded = await seedCitizens(w.store, w.keyring, 30)
    await rotateKeys(w, { maxBatches: 0 })
    const keyring = loadKeyring(w.config.keys)

    const [a, b] = await Promise.all([
      rewrapDataKeys(w.store, keyring, { batchSize: 4 }),
      rewrapDataKeys(w.store, keyring, { batchSize: 4 }),
    ])

    expect(a.done + b.done).toBe(30)
    await expectAllUnder(w.store, keyring.activeId, 30)
    await readEveryEmail(w.store, keyring, seeded)
  })

  it('retire refuses while a citizen still uses the key, and removes it from the key file once none does', async () => {
    const w = await world(kind)
    const oldId = w.keyring.activeId
    const seeded = await seedCitizens(w.store, w.keyring, 8)
    const partial = await rotateKeys(w, { batchSize: 5, maxBatches: 1 })

    await expect(retireKey(w, oldId)).rejects.toMatchObject({
      code: 'keys.key_in_use',
      extra: { citizens: 3 },
    })
    expect(Object.keys(readKeyFile(w.config.keys.file).keys)).toContain(oldId)
    await expect(retireKey(w, partial.targetKeyId)).rejects.toMatchObject({ code: 'keys.key_active' })
    await expect(retireKey(w, 'k19990101')).rejects.toMatchObject({ code: 'keys.key_unknown' })

    await rotateKeys(w)
    expect(await retireKey(w, oldId)).toEqual({ source: 'file', removed: true })

    const file = readKeyFile(w.config.keys.file)
    expect(Object.keys(file.keys)).toEqual([partial.targetKeyId])
    await readEveryEmail(w.store, loadKeyring(w.config.keys), seeded)
    expect(await auditActions(w)).toEqual(['keys.rotated', 'keys.rotated', 'keys.retired'])
  })

  it('the key file keeps mode 0600, never holds a key or id twice, and leaves no temp or lock file', async () => {
    const w = await world(kind)
    await seedCitizens(w.store, w.keyring, 3)
    const ids = [w.keyring.activeId]
    for (let i = 0; i < 3; i++) {
      const r = await rotateKeys(w)
      ids.push(r.targetKeyId)
      expect(statSync(w.config.keys.file).mode & 0o777).toBe(0o600)
      const file = readKeyFile(w.config.keys.file)
      const values = Object.values(file.keys)
      expect(new Set(values).size).toBe(values.length)
      expect(values).not.toContain(file.indexKey)
      expect(Object.keys(file.keys)).toEqual(ids)
    }
    expect(new Set(ids).size).toBe(4)
    expect(readdirSync(w.dataDir).filter((f) => f.startsWith('keys.json'))).toEqual(['keys.json'])
  })

  it('with POSTKORB_KEYS rotate only rewraps to the first key there and never writes a key file', async () => {
    const indexKey = newIndexKey()
    const oldKek = newKek('k1')
    const w = await world(kind, inlineKeys(oldKek, indexKey))
    const seeded = await seedCitizens(w.store, w.keyring, 7)
    const same = await rotateKeys(w)
    expect(same).toMatchObject({ source: 'inline', generatedKeyId: null, targetKeyId: 'k1', done: 0 })

    const operator = withKeys(w, inlineKeys(`${newKek('k2')},${oldKek}`, indexKey))
    await expect(retireKey(operator, 'k1')).rejects.toMatchObject({ code: 'keys.key_in_use' })
    const r = await rotateKeys(operator, { batchSize: 3 })

    expect(r).toMatchObject({
      source: 'inline',
      generatedKeyId: null,
      targetKeyId: 'k2',
      done: 7,
      remaining: 0,
    })
    await expectAllUnder(w.store, 'k2', 7)
    await readEveryEmail(w.store, operator.keyring, seeded)
    expect(readdirSync(w.dataDir).filter((f) => f.startsWith('keys.json'))).toEqual([])
    expect(await retireKey(operator, 'k1')).toEqual({ source: 'inline', removed: false })
    expect(await auditActions(w)).toEqual(['keys.rotated'])
  })

  it('refuses to rotate when citizen rows use a key the keyring no longer holds', async () => {
    const indexKey = newIndexKey()
    const w = await world(kind, inlineKeys(newKek('k1'), indexKey))
    await seedCitizens(w.store, w.keyring, 2)
    const lost = withKeys(w, inlineKeys(newKek('k2'), indexKey))

    await expect(rotateKeys(lost)).rejects.toMatchObject({ code: 'keys.key_missing' })
    await expectAllUnder(w.store, 'k1', 2)
  })
})
