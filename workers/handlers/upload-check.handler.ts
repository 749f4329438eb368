import type { Deps } from '../../src/deps.ts'
import { checkAttachment, markScanFailed } from '../../src/features/upload-check/upload-check.service.ts'
import { jobs } from '../../src/queue/jobs.catalog.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'
import { isPermanentFailure } from '../../src/queue/run-handler.ts'

/**
 * Type check and virus scan of one attachment. Scanner failures throw, so the queue retries with
 * backoff; on the last attempt (or a failure no retry can fix) the attachment becomes scan_failed,
 * an alert is logged and the job completes: `postkorb scans requeue` checks it again later.
 */
export async function checkUpload(deps: Deps, payload: { attachmentId: string }, ctx: JobContext) {
  const { attachmentId } = payload
  try {
    const result = await checkAttachment(deps, attachmentId, { signal: ctx.signal })
    if (!result) ctx.log.info({ attachmentId }, 'upload.check: attachment gone, nothing to check')
  } catch (err) {
    const last = ctx.attempt > jobs['upload.check'].retryLimit || isPermanentFailure(err)
    if (!last) throw err
    const reason = errorCode(err) ?? 'check_failed'
    if (await markScanFailed(deps, attachmentId, reason))
      ctx.log.error(
        { alert: 'upload_scan_failed', attachmentId, attempt: ctx.attempt, reason, err },
        'upload check failed for good: attachment is scan_failed (run `postkorb scans requeue` once the scanner is back)',
      )
  }
}

const errorCode = (err: unknown): string | null => {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : null
}
