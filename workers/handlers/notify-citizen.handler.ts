import type { Deps } from '../../src/deps.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/**
 * Minimal until notifications arrive with issue 7 (email/SMS by preference, debounced): the job is
 * enqueued in the transaction that writes an office message, so no notification is lost meanwhile.
 */
export async function notifyCitizen(
  _deps: Pick<Deps, 'store'>,
  payload: { citizenId: string; messageId: string },
  ctx: JobContext,
) {
  ctx.log.debug({ messageId: payload.messageId }, 'notify.citizen: notifications arrive with issue 7')
}
