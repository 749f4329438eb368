import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'
import { citizenKey, newCitizenKey, openForCitizen, sealForCitizen } from '../../src/crypto/citizen-keys.ts'
import { type Keyring, loadKeyring } from '../../src/crypto/keyring.ts'
import type { KeysDeps } from '../../src/features/keys/keys.service.ts'
import type { AnyStore } from '../../src/store/create-store.ts'
import type { BackendKind, TestDatabase } from '../helpers/backends.ts'
import { makeTestDatabase } from '../helpers/backends.ts'
import { makeTestConfig } from '../helpers/config.ts'
import { newCitizen, openStore } from './store.contract.ts'

export type Seeded = { id: string; email: string }

/** One test's world: a fresh database, a temp data dir and the keys of the chosen source. */
export type KeysWorld = KeysDeps & { store: AnyStore; dataDir: string; close(): Promise<void> }

/** Key file mode (the embedded default): no POSTKORB_KEYS, the key file is generated in the data dir. */
export const fileKeys = { POSTKORB_KEYS: undefined, POSTKORB_INDEX_KEY: undefined }

/** POSTKORB_KEYS mode with the given "id:base64" entries (first is active). */
export const inlineKeys = (entries: string, indexKey: string) => ({
  POSTKORB_KEYS: entries,
  POSTKORB_INDEX_KEY: indexKey,
})

export const newKek = (id: string) => `${id}:${randomBytes(32).toString('base64')}`
export const newIndexKey = () => randomBytes(32).toString('base64')

export async function openKeysWorld(kind: BackendKind, keys: Record<string, string | undefined>) {
  const database: TestDatabase = await makeTestDatabase(kind)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postkorb-keys-'))
  const store = openStore(database.url)
  await store.migrate()
  const config = makeTestConfig({ DATA_DIR: dataDir, DATABASE_URL: database.url, ...keys })
  const world: KeysWorld = {
    store,
    config,
    keyring: loadKeyring(config.keys),
    clock: () => new Date(),
    dataDir,
    async close() {
      await store.close()
      await database.cleanup()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return world
}

/** The same world seen by a process started with other keys (e.g. a new POSTKORB_KEYS). */
export function withKeys(world: KeysWorld, keys: Record<string, string | undefined>): KeysWorld {
  const config = makeTestConfig({ DATA_DIR: world.dataDir, ...keys })
  return { ...world, config, keyring: loadKeyring(config.keys) }
}

/** Citizens whose email is sealed under their own data key, wrapped under the keyring's active KEK. */
export async function seedCitizens(store: AnyStore, keyring: Keyring, n: number): Promise<Seeded[]> {
  const seeded: Seeded[] = []
  await store.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const id = randomUUID()
      const email = `buerger-${i}-${id.slice(0, 6)}@example.org`
      const { dek, dekWrapped, dekKeyId } = newCitizenKey(keyring, id)
      await tx.citizens.create({
        ...newCitizen(null, keyring.lookupMac('email', email)),
        id,
        emailEnc: sealForCitizen(dek, 'citizens', id, 'email', email),
        dekWrapped,
        dekKeyId,
      })
      seeded.push({ id, email })
    }
  })
  return seeded
}

/** Opens every seeded citizen's email through its wrapped data key; returns the key ids seen. */
export async function readEveryEmail(store: AnyStore, keyring: Keyring, seeded: Seeded[]) {
  const keyIds: string[] = []
  for (const s of seeded) {
    const c = await store.citizens.get(s.id)
    if (!c) throw new Error(`citizen ${s.id} vanished`)
    const email = openForCitizen(citizenKey(keyring, c), 'citizens', c.id, 'email', c.emailEnc).toString()
    if (email !== s.email) throw new Error(`citizen ${s.id} decrypted to another email`)
    keyIds.push(c.dekKeyId)
  }
  return keyIds
}

export async function expectAllUnder(store: AnyStore, keyId: string, n: number) {
  expect(await store.citizens.countByKeyId()).toEqual({ [keyId]: n })
}
