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
 * does the same inside its own transaction (deliverQueueInTx); this job remains for replays and retries.
 */
export async function deliverToQueue(deps: QueueDeps, deliveryId: string, log: Logger): Promise<void> {
  const now = deps.clock()
  const outcome = await deps.store.transaction(async (tx) => {
    await tx.routing.deferFlush()
    return deliverQueueInTx(deps, tx, deliveryId, null, now)
  })
  // Nothing claimed: already delivered, or in flight elsewhere (then its own job settles it).
  if (outcome) log.info({ deliveryId, outcome }, 'queue delivery')
}

/**
 * The queue delivery itself, inside the caller's transaction: claim the row, write the item (its id
 * is the delivery's id), settle the row delivered, mark the message delivered. `known` is the message
 * and office when the caller already holds them (routing does), else they are read here. Returns null
 * when there was nothing to claim.
 */
export async function deliverQueueInTx(
  deps: Pick<Deps, 'config'>,
  tx: Tx,
  deliveryId: string,
  known: { message: { id: string; threadId: string }; office: Office } | null,
  now: Date,
): Promise<'delivered' | 'failed' | null> {
  const delivery = await tx.deliveries.claim(deliveryId, now, new Date(now.getTime() - STALE_MS))
  if (!delivery) return null
  if (delivery.destinationKind !== 'queue') throw new Error(`delivery ${deliveryId} is not a queue delivery`)
  const facts = known ?? (await tx.routing.getRoutingFacts(delivery.messageId))
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

/** The SLA of the first rule destination naming this queue, else the configured default. */
function slaHours(deps: Pick<Deps, 'config'>, office: Office, queue: string): number {
  for (const rule of office.routingRules)
    for (const d of rule.destinations)
      if (d.kind === 'queue' && d.queue === queue && d.slaHours) return d.slaHours
  return deps.config.delivery.slaHours
}
