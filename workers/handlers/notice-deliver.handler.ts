import type { Deps } from '../../src/deps.ts'
import { deliverNotice } from '../../src/features/notices/notices.deliver.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** Checks a received notice's document, decides its channel once and places it online or in the print queue. */
export async function deliverNoticeJob(deps: Deps, payload: { noticeId: string }, ctx: JobContext) {
  await deliverNotice(deps, payload.noticeId, ctx.signal)
}
