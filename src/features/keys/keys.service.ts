import { addActiveKey, readKeyFile, removeKey } from '../../crypto/key-file.ts'
import { type Keyring, makeKeyring } from '../../crypto/keyring.ts'
import type { Deps } from '../../deps.ts'
import type { Store } from '../../store/store.port.ts'
import { keysErrors } from './keys.errors.ts'

export type KeysDeps = Pick<Deps, 'store' | 'keyring' | 'config' | 'clock'>
/** Where the KEKs live: the embedded key file (we may write it) or POSTKORB_KEYS (the operator's secret). */
export type KeySource = 'file' | 'inline'

export type RewrapProgress = { done: number; skipped: number; batches: number; total: number }
export type RewrapOptions = {
  /** Citizens per transaction. */
  batchSize?: number
  /** Stop after this many batches (a rerun continues); unlimited when absent. */
  maxBatches?: number
  /** Called after each committed batch. */
  onBatch?: (p: RewrapProgress) => void | Promise<void>
}
export type RewrapResult = RewrapProgress & { targetKeyId: string; remaining: number }
export type RotateResult = RewrapResult & {
  source: KeySource
  /** The KEK created by this run; null when it only rewrapped (POSTKORB_KEYS, or resuming). */
  generatedKeyId: string | null
  fromKeyIds: Record<string, number>
}

const DEFAULT_BATCH = 500

export const keySource = (config: KeysDeps['config']): KeySource => (config.keys.inline ? 'inline' : 'file')

/**
 * Rewraps every data key that is not under the keyring's active KEK, one transaction per batch.
 * Each update is conditional on the old key id, so a rerun or a concurrent run only skips rows.
 */
export async function rewrapDataKeys(
  store: Pick<Store, 'citizens' | 'transaction'> & Partial<Pick<Store, 'notices'>>,
  keyring: Keyring,
  opts: RewrapOptions = {},
): Promise<RewrapResult> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH
  if (!Number.isInteger(batchSize) || batchSize < 1) throw keysErrors.bad_option('batch size must be ≥ 1')
  const target = keyring.activeId
  const counts = await wrappedByKeyId(store)
  refuseUnknownKeys(counts, keyring)
  const total = pendingOf(counts, target)
  const progress: RewrapProgress = { done: 0, skipped: 0, batches: 0, total }
  // Citizens' keys first, then the notices' own keys (bound to "notice:<id>", see notices.crypto.ts).
  type Owner = { repo: 'citizens' | 'notices'; aad: (id: string) => string }
  const owners: Owner[] = [{ repo: 'citizens', aad: (id) => id }]
  if (store.notices) owners.push({ repo: 'notices', aad: (id) => `notice:${id}` })
  for (const owner of owners) {
    const list = owner.repo === 'citizens' ? store.citizens : (store.notices ?? store.citizens)
    let afterId: string | null = null
    while (opts.maxBatches === undefined || progress.batches < opts.maxBatches) {
      const rows: { id: string; dekWrapped: Buffer; dekKeyId: string }[] = await list.listWrappedNotUnder(
        target,
        afterId,
        batchSize,
      )
      const last = rows.at(-1)
      if (!last) break
      // Crypto first, then one short write transaction (SQLite: no awaits on I/O while holding the writer).
      const rewrapped = rows.map((r) => {
        const dek = keyring.unwrapDek(owner.aad(r.id), r.dekWrapped, r.dekKeyId)
        const { wrapped, keyId } = keyring.wrapDek(owner.aad(r.id), dek)
        return { id: r.id, from: r.dekKeyId, wrapped, keyId }
      })
      const changed = await store.transaction(async (tx) => {
        let n = 0
        for (const r of rewrapped) if (await tx[owner.repo].rewrapDek(r.id, r.from, r.wrapped, r.keyId)) n++
        return n
      })
      progress.done += changed
      progress.skipped += rows.length - changed
      progress.batches++
      afterId = last.id
      await opts.onBatch?.({ ...progress })
    }
  }
  const remaining = pendingOf(await wrappedByKeyId(store), target)
  return { ...progress, targetKeyId: target, remaining }
}

/** Data keys per KEK id over citizens and notices (notices carry their own key, see notices.crypto.ts). */
async function wrappedByKeyId(
  store: Pick<Store, 'citizens'> & Partial<Pick<Store, 'notices'>>,
): Promise<Record<string, number>> {
  const counts = { ...(await store.citizens.countByKeyId()) }
  const notices = store.notices ? await store.notices.countByKeyId() : {}
  for (const [id, n] of Object.entries(notices)) counts[id] = (counts[id] ?? 0) + n
  return counts
}

/**
 * `keys rotate`. Key file: a new active KEK is added (unless an earlier rotation is unfinished,
 * which is then resumed), then every data key is rewrapped. POSTKORB_KEYS: only rewraps to the
 * first key there; generating keys is the operator's job in their secret store.
 */
export async function rotateKeys(
  deps: KeysDeps,
  opts: RewrapOptions & {
    onStart?: (s: { generatedKeyId: string | null; targetKeyId: string }) => void
  } = {},
): Promise<RotateResult> {
  const source = keySource(deps.config)
  const fromKeyIds = await wrappedByKeyId(deps.store)
  let keyring = deps.keyring
  let generatedKeyId: string | null = null
  if (source === 'file') {
    const file = deps.config.keys.file
    const current = readKeyFile(file)
    if (pendingOf(fromKeyIds, current.active) > 0) keyring = makeKeyring(current)
    else {
      const added = addActiveKey(file, deps.clock())
      generatedKeyId = added.id
      keyring = makeKeyring(added.keyFile)
    }
  }
  opts.onStart?.({ generatedKeyId, targetKeyId: keyring.activeId })
  const result = await rewrapDataKeys(deps.store, keyring, opts)
  if (generatedKeyId || result.done > 0)
    await deps.store.audit.append({
      actorKind: 'system',
      actorId: null,
      action: 'keys.rotated',
      details: {
        source,
        toKeyId: result.targetKeyId,
        generatedKeyId,
        fromKeyIds,
        rewrapped: result.done,
        skipped: result.skipped,
        remaining: result.remaining,
      },
    })
  return { ...result, source, generatedKeyId, fromKeyIds }
}

export type KeyStatus = {
  source: KeySource
  activeId: string
  keyIds: string[]
  citizensByKeyId: Record<string, number>
  /** Key ids citizen rows use that the keyring lacks: those data keys cannot be opened. */
  missingKeyIds: string[]
}

/** `keys status`: the active KEK, the loaded ids and how many citizens each id wraps. */
export async function keyStatus(deps: KeysDeps): Promise<KeyStatus> {
  const citizensByKeyId = await deps.store.citizens.countByKeyId()
  const keyIds = deps.keyring.ids
  return {
    source: keySource(deps.config),
    activeId: deps.keyring.activeId,
    keyIds,
    citizensByKeyId,
    missingKeyIds: Object.keys(citizensByKeyId).filter((id) => !keyIds.includes(id)),
  }
}

/**
 * `keys retire`: an old KEK goes only when no citizen row uses it. From the key file we remove it;
 * from POSTKORB_KEYS the operator does (removed: false).
 */
export async function retireKey(
  deps: KeysDeps,
  keyId: string,
): Promise<{ source: KeySource; removed: boolean }> {
  const source = keySource(deps.config)
  const { active, ids } =
    source === 'file'
      ? (({ active, keys }) => ({ active, ids: Object.keys(keys) }))(readKeyFile(deps.config.keys.file))
      : { active: deps.keyring.activeId, ids: deps.keyring.ids }
  if (!ids.includes(keyId)) throw keysErrors.key_unknown(`key ${keyId} is not in the keyring`)
  if (keyId === active) throw keysErrors.key_active(`key ${keyId} is the active key; rotate first`)
  const notices = (await deps.store.notices.countByKeyId())[keyId] ?? 0
  if (notices > 0)
    throw keysErrors.key_in_use(
      `${notices} notice(s) still have their data key wrapped under ${keyId}; run keys rotate first`,
      { extra: { notices } },
    )
  const inUse = (await deps.store.citizens.countByKeyId())[keyId] ?? 0
  if (inUse > 0)
    throw keysErrors.key_in_use(
      `${inUse} citizen(s) still have their data key wrapped under ${keyId}; run keys rotate first`,
      { extra: { citizens: inUse } },
    )
  if (source === 'inline') return { source, removed: false }
  removeKey(deps.config.keys.file, keyId)
  await deps.store.audit.append({
    actorKind: 'system',
    actorId: null,
    action: 'keys.retired',
    details: { keyId, activeId: active },
  })
  return { source, removed: true }
}

const pendingOf = (counts: Record<string, number>, target: string) =>
  Object.entries(counts).reduce((sum, [id, n]) => (id === target ? sum : sum + n), 0)

function refuseUnknownKeys(counts: Record<string, number>, keyring: Keyring) {
  const missing = Object.keys(counts).filter((id) => !keyring.ids.includes(id))
  if (missing.length > 0)
    throw keysErrors.key_missing(
      `citizen data keys are wrapped under ${missing.map((id) => `${id} (${counts[id]})`).join(', ')}, which the keyring does not hold; add them back before rotating`,
    )
}
