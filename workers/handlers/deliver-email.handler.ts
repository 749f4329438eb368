import type { Deps } from '../../src/deps.ts'
import { deliverToEmail } from '../../src/features/delivery/delivery.email.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** One delivery to an office inbox by SMTP. */
export async function deliverEmail(deps: Deps, payload: { deliveryId: string }, ctx: JobContext) {
  await deliverToEmail(deps, payload.deliveryId, ctx.log)
}
