import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { newBlobKey } from '../../blobs/blobs.port.ts'
import { citizenKey, sealForCitizen } from '../../crypto/citizen-keys.ts'
import type { Deps } from '../../deps.ts'
import { collectPdf } from '../../pdf/document.ts'
import type { DocumentState, Notice } from '../../store/notices.types.ts'
import type { Citizen } from '../../store/store.types.ts'
import { inspector, judgeType } from '../upload-check/type-check.ts'
import { checkAttachment } from '../upload-check/upload-check.service.ts'
import { typeDetail } from '../upload-check/upload-check.texts.ts'
import { noticeKey } from './notices.crypto.ts'
import { isReadablePdf } from './notices.letter.ts'

type CheckDeps = Pick<Deps, 'config' | 'store' | 'queue' | 'blobs' | 'keyring' | 'scanner' | 'clock' | 'log'>
type Outcome = { state: DocumentState; detail: string | null }

/** The uploaded notice PDF, decrypted (notices are a few MB at most: MAX_UPLOAD_BYTES bounds them). */
export async function readNoticePdf(deps: Pick<Deps, 'blobs' | 'keyring'>, notice: Notice): Promise<Buffer> {
  if (!notice.blobKey) throw new Error('notice has no uploaded document')
  return collectPdf(
    deps.blobs.get(notice.blobKey, { dek: noticeKey(deps.keyring, notice), blobId: notice.id }),
  )
}

/** The id of the citizen's attachment that carries a notice's PDF: derived, so a retried job finds the same row. */
export function noticeAttachmentId(noticeId: string): string {
  const h = createHash('sha256').update(`postkorb notice attachment ${noticeId}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export const noticeFileName = (n: Pick<Notice, 'reference'>) => `Bescheid-${n.reference}.pdf`

/**
 * The upload check of a notice's PDF, the first step of notice.deliver; returns the recorded outcome
 * and never checks a decided document again. For a citizen with a postbox the PDF becomes their
 * attachment (under their key) and goes through issue 5's checkAttachment like every upload; a
 * letter-only customer's PDF gets the same type rules and clamd directly. Either way the PDF must
 * also open in pdf-lib (the letter appends its pages). Scanner trouble throws: the job retries and
 * nothing is released meanwhile. Text notices are rendered by Postkorb and need no check.
 */
export async function checkNoticeDocument(
  deps: CheckDeps,
  notice: Notice,
  signal: AbortSignal,
): Promise<DocumentState> {
  if (notice.documentState !== 'pending') return notice.documentState
  const citizen = notice.citizenId ? await deps.store.citizens.get(notice.citizenId) : null
  let outcome = citizen
    ? await checkAsAttachment(deps, notice, citizen, signal)
    : await checkStandalone(deps, notice, signal)
  if (outcome.state === 'clean') {
    const readable = await isReadablePdf(await readNoticePdf(deps, notice))
    if (!readable.ok) outcome = { state: 'rejected_type', detail: readable.reason }
  }
  await deps.store.notices.update(notice.id, { documentState: outcome.state, documentDetail: outcome.detail })
  deps.log.info({ noticeId: notice.id, state: outcome.state }, 'notice document checked')
  return outcome.state
}

async function checkAsAttachment(
  deps: CheckDeps,
  notice: Notice,
  citizen: Citizen,
  signal: AbortSignal,
): Promise<Outcome> {
  const id = noticeAttachmentId(notice.id)
  if (!(await deps.store.attachments.getForCheck(id))) await stageAttachment(deps, notice, citizen, id)
  const result = await checkAttachment(deps, id, { signal })
  if (!result) throw new Error('notice attachment vanished during its check')
  const state: DocumentState = result.state === 'scan_failed' ? 'rejected_type' : result.state
  return { state, detail: result.state === 'clean' ? null : (result.detail ?? result.state) }
}

/** Re-encrypts the notice PDF under the citizen's key as a pending, unbound attachment row. */
async function stageAttachment(deps: CheckDeps, notice: Notice, citizen: Citizen, id: string) {
  const dek = citizenKey(deps.keyring, citizen)
  const blobKey = newBlobKey()
  const source = deps.blobs.get(notice.blobKey ?? '', {
    dek: noticeKey(deps.keyring, notice),
    blobId: notice.id,
  })
  const { size } = await deps.blobs.put(blobKey, source, { dek, blobId: id })
  try {
    await deps.store.attachments.create({
      id,
      citizenId: citizen.id,
      nameEnc: sealForCitizen(dek, 'attachments', id, 'name', noticeFileName(notice)),
      declaredType: 'application/pdf',
      size,
      blobKey,
      createdAt: deps.clock(),
    })
  } catch (err) {
    await deps.blobs.delete(blobKey)
    // A duplicate delivery of the job staged it first: its row stands.
    if (await deps.store.attachments.getForCheck(id)) return
    throw err
  }
}

async function checkStandalone(deps: CheckDeps, notice: Notice, signal: AbortSignal): Promise<Outcome> {
  const bytes = await readNoticePdf(deps, notice)
  const ins = inspector()
  await pipeline(Readable.from([bytes]), ins.sink)
  const verdict = await deps.scanner.scanStream(Readable.from([bytes]), { signal })
  if (verdict.verdict === 'infected') return { state: 'infected', detail: verdict.signature }
  const type = await ins.inspect((found) =>
    judgeType(
      found,
      { type: 'application/pdf', name: noticeFileName(notice) },
      { allowedTypes: ['application/pdf'], maxImagePixels: deps.config.uploadCheck.maxImagePixels },
    ),
  )
  if (!type.ok) return { state: 'rejected_type', detail: typeDetail(type.reason, type.detail) }
  return { state: 'clean', detail: null }
}
