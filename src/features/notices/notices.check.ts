import { Readable } from 'node:stream'
import type { Deps } from '../../deps.ts'
import { collectPdf } from '../../pdf/document.ts'
import type { DocumentState, Notice } from '../../store/notices.types.ts'
import { noticeKey } from './notices.crypto.ts'
import { isReadablePdf } from './notices.letter.ts'

type CheckDeps = Pick<Deps, 'store' | 'blobs' | 'keyring' | 'scanner' | 'log'>

/** The uploaded notice PDF, decrypted (notices are a few MB at most: MAX_UPLOAD_BYTES bounds them). */
export async function readNoticePdf(deps: Pick<Deps, 'blobs' | 'keyring'>, notice: Notice): Promise<Buffer> {
  if (!notice.blobKey) throw new Error('notice has no uploaded document')
  return collectPdf(
    deps.blobs.get(notice.blobKey, { dek: noticeKey(deps.keyring, notice), blobId: notice.id }),
  )
}

/**
 * The upload check of a notice's PDF, the first step of notice.deliver: type by content (PDF magic
 * bytes and a PDF that opens, not encrypted), then the virus scanner. Returns the recorded outcome;
 * a decided document is never checked again. Scanner trouble throws, so the job retries and the
 * document stays unreleased meanwhile. Text notices are rendered by Postkorb and need no check.
 */
export async function checkNoticeDocument(
  deps: CheckDeps,
  notice: Notice,
  signal: AbortSignal,
): Promise<DocumentState> {
  if (notice.documentState !== 'pending') return notice.documentState
  const bytes = await readNoticePdf(deps, notice)
  const type = await isReadablePdf(bytes)
  let state: DocumentState = 'clean'
  let detail: string | null = null
  if (!type.ok) {
    state = 'rejected_type'
    detail = type.reason
  } else {
    const verdict = await deps.scanner.scanStream(Readable.from([bytes]), { signal })
    if (verdict.verdict === 'infected') {
      state = 'infected'
      detail = verdict.signature
    }
  }
  await deps.store.notices.update(notice.id, { documentState: state, documentDetail: detail })
  deps.log.info({ noticeId: notice.id, state }, 'notice document checked')
  return state
}
