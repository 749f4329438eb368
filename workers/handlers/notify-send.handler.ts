import type { Deps } from '../../src/deps.ts'
import { sendNotifications } from '../../src/features/notify/notify.service.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** Sends everything pending for one citizen as one email (and appointment SMS); SMTP down → retried. */
export async function sendNotificationsJob(deps: Deps, payload: { citizenId: string }, ctx: JobContext) {
  await sendNotifications(deps, payload.citizenId, ctx)
}
