import type { Deps } from '../../src/deps.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/**
 * Placeholder until the upload check arrives with issue 5: the attachment stays `pending` (never
 * released unchecked), the job completes. The send transaction enqueues it already.
 */
export async function checkUpload(
  _deps: Pick<Deps, 'store'>,
  payload: { attachmentId: string },
  ctx: JobContext,
) {
  ctx.log.debug({ attachmentId: payload.attachmentId }, 'upload.check: the check arrives with issue 5')
}
