import { PassThrough, type Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { citizenKey, openForCitizen } from '../../crypto/citizen-keys.ts'
import type { Deps } from '../../deps.ts'
import { errorSummary, isAppError } from '../../errors.ts'
import type { ScanVerdict } from '../../scanner/scanner.port.ts'
import type { Attachment, ScanResult } from '../../store/attachments.types.ts'
import type { Tx } from '../../store/store.port.ts'
import type { CheckOutcome } from '../../store/upload-checks.port.ts'
import { routeWithin } from '../routing/routing.service.ts'
import { fanOut } from './fan-out.ts'
import { reencodeImage } from './image-reencode.ts'
import { type Inspection, inspector, judgeType, type TypeVerdict } from './type-check.ts'
import { typeDetail } from './upload-check.texts.ts'

export type CheckDeps = Pick<
  Deps,
  'config' | 'store' | 'queue' | 'blobs' | 'scanner' | 'keyring' | 'clock' | 'log'
>
export type CheckOptions = { signal?: AbortSignal }

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png'])

/**
 * Checks one attachment and records its outcome: clean, infected (signature), rejected_type (reason)
 * — idempotent: an attachment already decided returns its stored outcome without scanning again.
 * clamd judges the original bytes (so EICAR in a PNG's trailing bytes is found); images are then
 * re-encoded into a new blob that is scanned too, and the attachment switches to it on release.
 * Scanner failures throw (the job retries); null when the attachment or its citizen is gone.
 */
export async function checkAttachment(
  deps: CheckDeps,
  attachmentId: string,
  { signal }: CheckOptions = {},
): Promise<ScanResult | null> {
  const a = await deps.store.attachments.getForCheck(attachmentId)
  if (!a) return null
  if (a.scanState !== 'pending') return stored(a)
  const citizen = await deps.store.citizens.get(a.citizenId)
  if (!citizen) return null
  const dek = citizenKey(deps.keyring, citizen)
  const outcome = await decide(deps, a, dek, signal)
  if (await record(deps, a, outcome)) {
    if (outcome.blob) await deps.blobs.delete(a.blobKey)
    const { state, detail } = outcome
    deps.log.info({ attachmentId, state, detail: state === 'clean' ? undefined : detail }, 'upload checked')
    return { state, detectedType: outcome.detectedType ?? null, detail: outcome.detail ?? null }
  }
  // A duplicate delivery decided first; its outcome stands (a re-encoded blob of ours has its key, so it stays).
  const now = await deps.store.attachments.getForCheck(attachmentId)
  return now && now.scanState !== 'pending' ? stored(now) : null
}

/** After the last retry (or a permanent failure): scan_failed, with the follow-up job when the message is complete. */
export async function markScanFailed(
  deps: CheckDeps,
  attachmentId: string,
  reason: string,
): Promise<boolean> {
  const a = await deps.store.attachments.getForCheck(attachmentId)
  if (a?.scanState !== 'pending') return false
  return record(deps, a, { state: 'scan_failed', detail: reason.slice(0, 200) })
}

async function decide(
  deps: CheckDeps,
  a: Attachment,
  dek: Buffer,
  signal?: AbortSignal,
): Promise<CheckOutcome> {
  const now = deps.clock()
  // Nothing to scan (clamd has no answer for an empty stream) and nothing to release.
  if (a.size === 0) return { state: 'rejected_type', detail: typeDetail('empty'), quarantinedAt: now }
  const declared = { type: a.declaredType, name: fileName(a, dek) }
  let scanned: { verdict: ScanVerdict; type: TypeVerdict }
  try {
    scanned = await scanOriginal(
      deps,
      a,
      dek,
      (ins) => judgeType(ins, declared, deps.config.uploadCheck),
      signal,
    )
  } catch (err) {
    if (isAppError(err) && err.code === 'scanner.too_large')
      return { state: 'rejected_type', detail: typeDetail('too_large_for_scanner'), quarantinedAt: now }
    throw err
  }
  const { type } = scanned
  const detectedType = type.ok ? type.type : type.detectedType
  if (scanned.verdict.verdict === 'infected')
    return { state: 'infected', detail: scanned.verdict.signature, detectedType, quarantinedAt: now }
  if (!type.ok)
    return {
      state: 'rejected_type',
      detail: typeDetail(type.reason, type.detail),
      detectedType,
      quarantinedAt: now,
    }
  if (!IMAGE_TYPES.has(type.type)) return { state: 'clean', detectedType }
  const released = await reencode(deps, a, dek, type.type, signal)
  if ('unreadable' in released)
    return {
      state: 'rejected_type',
      detail: typeDetail('image_unreadable'),
      detectedType,
      quarantinedAt: now,
    }
  if (released.verdict.verdict === 'infected')
    return { state: 'infected', detail: released.verdict.signature, detectedType, quarantinedAt: now }
  return { state: 'clean', detectedType, blob: released.blob }
}

/**
 * One decrypting pass: the bytes stream to clamd (INSTREAM) and, beside it, into the type inspector,
 * whose verdict is worked out while clamd is still answering.
 */
async function scanOriginal(
  deps: CheckDeps,
  a: Attachment,
  dek: Buffer,
  judge: (ins: Inspection) => Promise<TypeVerdict>,
  signal?: AbortSignal,
) {
  const source = deps.blobs.get(a.blobKey, { dek, blobId: a.id })
  // clamscan listens for 'data' only once its socket is up, while the inspector's pipe makes the
  // source flow at once: this buffer keeps clamd from missing the first chunks.
  const toScanner = new PassThrough()
  const ins = inspector()
  fanOut(source, toScanner, ins.sink)
  try {
    const [verdict, type] = await Promise.all([
      deps.scanner.scanStream(toScanner, { signal }),
      finished(ins.sink).then(() => ins.inspect(judge)),
    ])
    return { verdict, type }
  } catch (err) {
    // Nothing outlives a failed pass: the other consumer's stream (and so its clamd socket) closes too.
    for (const stream of [source, toScanner, ins.sink]) stream.destroy()
    throw err
  }
}

type Reencoded = { verdict: ScanVerdict; blob: { key: string; size: number } } | { unreadable: true }

/**
 * Decodes and re-encodes the image into a new encrypted blob while clamd scans the new bytes.
 * The key is derived from the old one, so a retry after a crash overwrites instead of leaking.
 */
async function reencode(
  deps: CheckDeps,
  a: Attachment,
  dek: Buffer,
  type: string,
  signal?: AbortSignal,
): Promise<Reencoded> {
  const key = `${a.blobKey}r`
  const source: Readable = deps.blobs.get(a.blobKey, { dek, blobId: a.id })
  const encoder = reencodeImage(type, deps.config.uploadCheck.maxImagePixels)
  let imageError: unknown = null
  encoder.once('error', (err) => {
    imageError = err
  })
  source.once('error', (err) => encoder.destroy(err))
  source.pipe(encoder)
  const toScanner = new PassThrough()
  const toBlob = new PassThrough()
  fanOut(encoder, toScanner, toBlob)
  try {
    const [verdict, put] = await Promise.all([
      deps.scanner.scanStream(toScanner, { signal }),
      deps.blobs.put(key, toBlob, { dek, blobId: a.id, ...(signal ? { signal } : {}) }),
    ])
    return { verdict, blob: { key, size: put.size } }
  } catch (err) {
    for (const stream of [source, encoder, toScanner, toBlob]) stream.destroy()
    // sharp's own failure (corrupt pixels, limits) refuses the file; a cut blob stream stays an error.
    if (imageError && !isAppError(imageError)) return { unreadable: true }
    throw err
  }
}

/** Records the outcome and, when it was the message's last one, what follows: one transaction, once. */
async function record(deps: CheckDeps, a: Attachment, outcome: CheckOutcome): Promise<boolean> {
  const at = deps.clock()
  return deps.store.transaction(async (tx) => {
    if (a.messageId) await tx.uploadChecks.lockMessage(a.messageId)
    if (!(await tx.uploadChecks.recordOutcome(a.id, outcome))) return false
    if (a.messageId && (await tx.uploadChecks.completeMessage(a.messageId, at)))
      await followUp(deps, tx, a.citizenId, a.messageId)
    return true
  })
}

/**
 * citizen→office is routed in this transaction (routeWithin); should routing fail, its savepoint is
 * rolled back and a message.route job (with its retries) takes over, so the outcome still commits.
 * An office message notifies the citizen; notices notify themselves.
 */
async function followUp(deps: CheckDeps, tx: Tx, citizenId: string, messageId: string) {
  const facts = await tx.routing.getRoutingFacts(messageId)
  const m = facts?.message
  if (!facts || m?.citizenId !== citizenId) return
  if (m.direction === 'citizen_to_office') {
    try {
      await tx.savepoint((sp) => routeWithin(deps, sp, facts, deps.log))
    } catch (err) {
      deps.log.warn(
        { messageId, err: errorSummary(err) },
        'routing after the upload check failed: queued message.route',
      )
      await deps.queue.send('message.route', { messageId }, { tx })
    }
  } else if (m.kind === 'message') await deps.queue.send('notify.citizen', { citizenId, messageId }, { tx })
}

const stored = (a: Attachment): ScanResult => ({
  state: a.scanState as ScanResult['state'],
  detectedType: a.detectedType,
  detail: a.scanDetail,
})

// The extension check needs the sanitised name, which is sealed for the citizen.
const fileName = (a: Attachment, dek: Buffer) =>
  openForCitizen(dek, 'attachments', a.id, 'name', a.nameEnc).toString('utf8')
