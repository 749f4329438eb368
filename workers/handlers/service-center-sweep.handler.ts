import type { Deps } from '../../src/deps.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** Every minute: items past due are marked overdue, expired claims go back to their queue. */
export async function sweepServiceCenter(
  deps: Pick<Deps, 'store' | 'clock'>,
  _payload: object,
  ctx: JobContext,
) {
  const result = await deps.store.serviceCenter.sweep(deps.clock())
  if (result.overdue + result.released > 0) ctx.log.info(result, 'service center swept')
}
