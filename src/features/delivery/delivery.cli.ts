import type { Deps } from '../../deps.ts'
import { replayDeliveries } from './delivery.service.ts'

export const deliveriesUsage = `usage: postkorb deliveries replay --id <delivery id> | --failed [--office <office id>]
  puts failed deliveries back in their queue; delivered ones are never sent again`

/** `postkorb deliveries replay`: prints the replayed and skipped ids as JSON; exit 1 when an --id was not replayed. */
export async function runDeliveriesCli(
  deps: Deps,
  sub: string,
  values: { id?: string; failed?: boolean; office?: string },
): Promise<number> {
  if (sub !== 'replay' || Boolean(values.id) === Boolean(values.failed)) {
    console.error(deliveriesUsage)
    return 2
  }
  await deps.queue.start()
  const office = values.office ? { officeId: values.office } : {}
  const select = values.id ? { id: values.id, ...office } : { failed: true as const, ...office }
  const result = await replayDeliveries(deps, select, { kind: 'system', id: null })
  console.log(JSON.stringify(result))
  return values.id && result.replayed.length === 0 ? 1 : 0
}
