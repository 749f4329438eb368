import type { Deps } from '../../src/deps.ts'
import { enqueueNotification } from '../../src/features/notify/notify.service.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** A new office message or notice: records the content-free notification and schedules its debounced send. */
export async function notifyCitizen(
  deps: Deps,
  payload: { citizenId: string; messageId: string },
  _ctx: JobContext,
) {
  await enqueueNotification(deps, payload)
}
