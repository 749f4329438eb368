import { createHmac, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import { openField, sealField } from './envelope.ts'
import { type KeyFile, keyFileVersion, readKeyFile } from './key-file.ts'

/** Key-encryption keys (one active, old ones kept for reading) plus the lookup/index key. */
export type Keyring = {
  activeId: string
  ids: string[]
  /** Wraps a citizen's data key under the active KEK, bound to the citizen id. */
  wrapDek(citizenId: string, dek: Buffer): { wrapped: Buffer; keyId: string }
  /** Unwraps a data key with whichever KEK wrapped it. */
  unwrapDek(citizenId: string, wrapped: Buffer, keyId: string): Buffer
  /** Keyed MAC for exact-match lookups (normalised email), stable across KEK rotation. */
  lookupMac(purpose: string, value: string): Buffer
}

export type { KeyFile } from './key-file.ts'

/** Builds the keyring from POSTKORB_KEYS or the key file; the embedded default creates the file once. */
export function loadKeyring(keys: Config['keys'], onGenerated?: (file: string) => void): Keyring {
  if (keys.inline) return makeKeyring(parseInline(keys.inline, keys.indexKey))
  const source = readOrCreateFile(keys.file, keys.generateIfMissing, onGenerated)
  return makeKeyring(source, followKeyFile(keys.file))
}

/**
 * A keyring over fixed keys, or (with refresh) one that follows the key file: after `keys rotate`
 * a running process wraps new data keys under the new active KEK and can unwrap rewrapped ones.
 */
export function makeKeyring(source: KeyFile, refresh?: () => KeyFile | null): Keyring {
  let state = keyState(source)
  const current = () => {
    const next = refresh?.()
    if (next) {
      const fresh = keyState(next)
      if (!fresh.indexKey.equals(state.indexKey))
        throw new Error('keyring: the index key in the key file changed')
      state = fresh
    }
    return state
  }
  const aad = (citizenId: string, keyId: string) => ({
    table: 'citizens',
    rowId: citizenId,
    field: 'dek',
    keyId,
  })
  return {
    get activeId() {
      return current().activeId
    },
    get ids() {
      return [...current().kek.keys()]
    },
    wrapDek(citizenId, dek) {
      const { active, activeId } = current()
      return { wrapped: sealField(active, dek, aad(citizenId, activeId)), keyId: activeId }
    },
    unwrapDek(citizenId, wrapped, keyId) {
      const key = state.kek.get(keyId) ?? current().kek.get(keyId)
      if (!key) throw new Error(`keyring: key ${keyId} is not loaded`)
      return openField(key, wrapped, aad(citizenId, keyId))
    },
    lookupMac: (purpose, value) =>
      createHmac('sha256', state.indexKey).update(purpose).update('\0').update(value).digest(),
  }
}

function keyState(source: KeyFile) {
  const kek = new Map(Object.entries(source.keys).map(([id, b64]) => [id, decodeKey(b64, `key ${id}`)]))
  const active = kek.get(source.active)
  if (!active) throw new Error(`keyring: active key ${source.active} is not in the keyring`)
  return { kek, active, activeId: source.active, indexKey: decodeKey(source.indexKey, 'index key') }
}

/** Re-reads the key file only when it was replaced since the last look (one stat per call). */
function followKeyFile(file: string): () => KeyFile | null {
  let seen = keyFileVersion(file)
  return () => {
    const version = keyFileVersion(file)
    if (version === null || version === seen) return null
    seen = version
    return readKeyFile(file)
  }
}

export function generateKeyFile(): KeyFile {
  const id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`
  return {
    active: id,
    keys: { [id]: randomBytes(32).toString('base64') },
    indexKey: randomBytes(32).toString('base64'),
  }
}

function parseInline(inline: string, indexKey: string | undefined): KeyFile {
  const pairs = inline.split(',').map((p) => p.trim().split(':'))
  const keys = Object.fromEntries(pairs.map(([id, b64]) => [id ?? '', b64 ?? '']))
  const first = pairs[0]?.[0]
  if (!first || !indexKey)
    throw new Error('keyring: POSTKORB_KEYS needs "id:base64" entries and POSTKORB_INDEX_KEY')
  return { active: first, keys, indexKey }
}

function readOrCreateFile(file: string, generate: boolean, onGenerated?: (file: string) => void): KeyFile {
  if (existsSync(file)) return readKeyFile(file)
  if (!generate) throw new Error(`keyring: no POSTKORB_KEYS and no key file at ${file}`)
  const fresh = generateKeyFile()
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  onGenerated?.(file)
  return fresh
}

function decodeKey(b64: string, what: string): Buffer {
  const key = Buffer.from(b64, 'base64')
  if (key.length !== 32) throw new Error(`keyring: ${what} must be 32 bytes (base64)`)
  return key
}
