import type { Deps } from '../../src/deps.ts'
import { pushReceipt, type ReceiptEvent } from '../../src/features/notices/notices.receipt.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** Pushes a notice's dates to the office's e-file endpoint as a signed receipt event. */
export async function pushReceiptJob(
  deps: Deps,
  payload: { noticeId: string; event: ReceiptEvent },
  ctx: JobContext,
) {
  await pushReceipt(deps, payload, ctx.signal)
}
