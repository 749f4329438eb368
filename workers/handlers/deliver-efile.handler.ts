import type { Deps } from '../../src/deps.ts'
import { deliverToEfile } from '../../src/features/delivery/delivery.efile.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** One delivery to the office's e-file endpoint. */
export async function deliverEfile(deps: Deps, payload: { deliveryId: string }, ctx: JobContext) {
  await deliverToEfile(deps, payload.deliveryId, ctx.log, ctx.signal)
}
