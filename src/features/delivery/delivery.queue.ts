import type { Deps } from '../../deps.ts'
import type { Logger } from '../../logger.ts'
import type { Delivery } from '../../store/routing.port.ts'
import type { Office } from '../../store/store.types.ts'
import { type AttemptOutcome, runDelivery } from './delivery.service.ts'

type QueueDeps = Pick<Deps, 'store' | 'queue' | 'clock' | 'config'>

/**
 * Job deliver.queue: a service-center item due after the queue's SLA hours. The item's id is the
 * delivery's id, so a second run finds the item it made and changes nothing.
 */
export async function deliverToQueue(deps: QueueDeps, deliveryId: string, log: Logger): Promise<void> {
  await runDelivery(deps, deliveryId, 'queue', log, (delivery) => createItem(deps, delivery))
}

async function createItem(deps: QueueDeps, delivery: Delivery): Promise<AttemptOutcome> {
  const message = await deps.store.routing.getMessage(delivery.messageId)
  if (!message) return { ok: false, permanent: true, error: 'message gone' }
  const office = await deps.store.offices.get(message.officeId)
  if (!office) return { ok: false, permanent: true, error: 'office gone' }
  const now = deps.clock()
  const dueAt = new Date(now.getTime() + slaHours(deps, office, delivery.destination) * 3_600_000)
  await deps.store.serviceCenter.insert({
    id: delivery.id,
    officeId: office.id,
    deliveryId: delivery.id,
    messageId: message.id,
    threadId: message.threadId,
    queue: delivery.destination,
    dueAt,
    createdAt: now,
  })
  return { ok: true, externalId: delivery.id }
}

/** The SLA of the first rule destination naming this queue, else the configured default. */
function slaHours(deps: Pick<Deps, 'config'>, office: Office, queue: string): number {
  for (const rule of office.routingRules)
    for (const d of rule.destinations)
      if (d.kind === 'queue' && d.queue === queue && d.slaHours) return d.slaHours
  return deps.config.delivery.slaHours
}
