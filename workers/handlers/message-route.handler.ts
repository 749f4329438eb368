import type { Deps } from '../../src/deps.ts'
import { routeMessage as route } from '../../src/features/routing/routing.service.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** A sent citizen message whose files are all checked: the office's rules pick its destinations. */
export async function routeMessage(deps: Deps, payload: { messageId: string }, ctx: JobContext) {
  await route(deps, payload.messageId, ctx.log)
}
