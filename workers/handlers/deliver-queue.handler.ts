import type { Deps } from '../../src/deps.ts'
import { deliverToQueue } from '../../src/features/delivery/delivery.queue.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** One delivery into a service-center queue. */
export async function deliverQueue(deps: Deps, payload: { deliveryId: string }, ctx: JobContext) {
  await deliverToQueue(deps, payload.deliveryId, ctx.log)
}
