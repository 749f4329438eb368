import { KeyFileError } from '../../crypto/key-file.ts'
import { isAppError } from '../../errors.ts'
import { keysErrors } from './keys.errors.ts'
import { type KeysDeps, keyStatus, retireKey, rotateKeys } from './keys.service.ts'

export type KeysCliOptions = { key?: string; 'batch-size'?: string; 'max-batches'?: string }
type Out = { log(line: string): void; error(line: string): void }

export const keysUsage = `usage:
  postkorb keys status
  postkorb keys rotate [--batch-size <n>] [--max-batches <n>]
  postkorb keys retire --key <id>`

const INLINE_NOTE =
  'POSTKORB_KEYS is set, so keys rotate does not generate a key: the keys live in your secret store. ' +
  'To rotate, put a new 32-byte key FIRST in POSTKORB_KEYS (keep the old ones after it), restart every ' +
  'process, then run keys rotate to rewrap the data keys.'

/** `postkorb keys …`: returns the exit code (0 ok, 1 refused, 2 usage). Prints ids and counts, never keys. */
export async function runKeysCli(
  deps: KeysDeps,
  sub: string | undefined,
  opts: KeysCliOptions,
  out: Out = console,
): Promise<number> {
  try {
    switch (sub) {
      case 'status':
        return await status(deps, out)
      case 'rotate':
        return await rotate(deps, opts, out)
      case 'retire':
        return await retire(deps, opts, out)
      default:
        out.error(`unknown keys command: ${sub ?? '(none)'}\n${keysUsage}`)
        return 2
    }
  } catch (err) {
    if (!isAppError(err) && !(err instanceof KeyFileError)) throw err
    out.error(`refused: ${err.message}`)
    return isAppError(err) && err.code === 'keys.bad_option' ? 2 : 1
  }
}

async function status(deps: KeysDeps, out: Out): Promise<number> {
  const s = await keyStatus(deps)
  out.log(`key source: ${s.source === 'file' ? `key file ${deps.config.keys.file}` : 'POSTKORB_KEYS'}`)
  out.log(`active key: ${s.activeId}`)
  out.log(`keys: ${s.keyIds.join(', ')}`)
  out.log('citizens per key:')
  for (const id of [...s.keyIds, ...s.missingKeyIds]) {
    const note = id === s.activeId ? ' (active)' : s.missingKeyIds.includes(id) ? ' (NOT IN KEYRING)' : ''
    out.log(`  ${id}  ${s.citizensByKeyId[id] ?? 0}${note}`)
  }
  return s.missingKeyIds.length > 0 ? 1 : 0
}

async function rotate(deps: KeysDeps, opts: KeysCliOptions, out: Out): Promise<number> {
  if (deps.config.keys.inline) out.log(INLINE_NOTE)
  const r = await rotateKeys(deps, {
    batchSize: positiveInt(opts['batch-size']),
    maxBatches: positiveInt(opts['max-batches']),
    onStart: ({ generatedKeyId, targetKeyId }) => {
      if (generatedKeyId)
        out.log(`added key ${generatedKeyId} to ${deps.config.keys.file} as the active key (old keys kept)`)
      else if (!deps.config.keys.inline) out.log(`continuing the unfinished rotation to ${targetKeyId}`)
    },
    onBatch: (p) =>
      out.log(`rewrapped ${p.done} of ${p.total} data keys (batch ${p.batches}, ${p.skipped} skipped)`),
  })
  if (r.total === 0) out.log(`every citizen's data key is already under ${r.targetKeyId}; nothing to rewrap`)
  out.log(`done: ${r.done} rewrapped to ${r.targetKeyId}, ${r.skipped} skipped, ${r.remaining} remaining`)
  if (r.remaining > 0) out.log('run keys rotate again to continue with the rest')
  const retirable = Object.keys(r.fromKeyIds).filter((id) => id !== r.targetKeyId)
  if (r.remaining === 0 && retirable.length > 0)
    out.log(`old keys now unused: ${retirable.join(', ')} (postkorb keys retire --key <id>)`)
  return 0
}

async function retire(deps: KeysDeps, opts: KeysCliOptions, out: Out): Promise<number> {
  if (!opts.key) {
    out.error(`--key is required\n${keysUsage}`)
    return 2
  }
  const r = await retireKey(deps, opts.key)
  if (r.removed) out.log(`key ${opts.key} removed from ${deps.config.keys.file}; no citizen used it`)
  else
    out.log(
      `no citizen uses key ${opts.key}: remove it from POSTKORB_KEYS in your secret store and restart every process`,
    )
  return 0
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw keysErrors.bad_option(`expected a whole number ≥ 1, got ${value}`)
  return n
}
