import type { Deps } from '../../deps.ts'
import type { Logger } from '../../logger.ts'
import type { Tx } from '../../store/store.port.ts'
import type { Office } from '../../store/store.types.ts'

type QueueDeps = Pick<Deps, 'store' | 'queue' | 'clock' | 'config'>

// Same staleness rule as the network deliveries (delivery.service.ts), for a worker that died mid-job.
const STALE_MS = 150_000

/**
 * Job deliver.queue: a service-center item due after the queue's SLA hours. No network is involved,
 * so claim, item, receipt and message state are one transaction (one commit instead of three); the
 * item's id is the delivery's id, so a second run finds nothing to claim and changes nothing. Routing
 * writes the same outcome inside its own transaction (writeQueueDelivery); this job remains for
 * re-routes, forwards and replays.
 */
export async function deliverToQueue(deps: QueueDeps, deliveryId: string, log: Logger): Promise<void> {
  const now = deps.clock()
  const outcome = await deps.store.transaction(async (tx) => {
    await tx.routing.deferFlush()
    return deliverQueueInTx(deps, tx, deliveryId, now)
  })
  // Nothing claimed: already delivered, or in flight elsewhere (then its own job settles it).
  if (outcome) log.info({ deliveryId, outcome }, 'queue delivery')
}

/**
 * The queue delivery of an existing row, inside the caller's transaction: claim the row, write the
 * item (its id is the delivery's id), settle the row delivered, mark the message delivered. Returns
 * null when there was nothing to claim.
 */
async function deliverQueueInTx(
  deps: Pick<Deps, 'config'>,
  tx: Tx,
  deliveryId: string,
  now: Date,
): Promise<'delivered' | 'failed' | null> {
  const delivery = await tx.deliveries.claim(deliveryId, now, new Date(now.getTime() - STALE_MS))
  if (!delivery) return null
  if (delivery.destinationKind !== 'queue') throw new Error(`delivery ${deliveryId} is not a queue delivery`)
  const facts = await tx.routing.getRoutingFacts(delivery.messageId)
  const message = facts?.message
  const office = facts?.office
  if (!message || !office) {
    await tx.deliveries.settle(deliveryId, { state: 'failed', error: 'message gone' }, now)
    return 'failed'
  }
  await tx.serviceCenter.insert({
    id: delivery.id,
    officeId: office.id,
    deliveryId: delivery.id,
    messageId: message.id,
    threadId: message.threadId,
    queue: delivery.destination,
    dueAt: new Date(now.getTime() + slaHours(deps, office, delivery.destination) * 3_600_000),
    createdAt: now,
  })
  await tx.deliveries.settle(deliveryId, { state: 'delivered', externalId: delivery.id }, now)
  await tx.routing.setMessageState(message.id, 'delivered', ['routed', 'failed'])
  return 'delivered'
}

/**
 * Routing's queue delivery, in the routing transaction: the delivery row written as delivered (one
 * attempt, the item's id as external id: what claim + settle of the job leave) and its item, in two
 * statements. The caller records the message as delivered. False when the message already has a
 * delivery to this queue (nothing written).
 */
export async function writeQueueDelivery(
  deps: Pick<Deps, 'config'>,
  tx: Tx,
  input: { id: string; message: { id: string; threadId: string }; office: Office; queue: string; now: Date },
): Promise<boolean> {
  const { id, message, office, queue, now } = input
  const inserted = await tx.deliveries.insert({
    id,
    messageId: message.id,
    destinationKind: 'queue',
    destination: queue,
    createdAt: now,
    delivered: { externalId: id },
  })
  if (!inserted) return false
  await tx.serviceCenter.insert({
    id,
    officeId: office.id,
    deliveryId: id,
    messageId: message.id,
    threadId: message.threadId,
    queue,
    dueAt: new Date(now.getTime() + slaHours(deps, office, queue) * 3_600_000),
    createdAt: now,
  })
  return true
}

/** The SLA of the first rule destination naming this queue, else the configured default. */
function slaHours(deps: Pick<Deps, 'config'>, office: Office, queue: string): number {
  for (const rule of office.routingRules)
    for (const d of rule.destinations)
      if (d.kind === 'queue' && d.queue === queue && d.slaHours) return d.slaHours
  return deps.config.delivery.slaHours
}
