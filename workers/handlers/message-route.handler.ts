import type { Deps } from '../../src/deps.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/**
 * Placeholder until routing arrives with issue 6: the message stays `submitted`, the job completes.
 * It exists now because the send transaction must enqueue it (nothing lost between write and job).
 */
export async function routeMessage(
  _deps: Pick<Deps, 'store'>,
  payload: { messageId: string },
  ctx: JobContext,
) {
  ctx.log.debug({ messageId: payload.messageId }, 'message.route: routing arrives with issue 6')
}
