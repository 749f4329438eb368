import type { Deps } from '../../deps.ts'
import { isAppError } from '../../errors.ts'
import type { Logger } from '../../logger.ts'
import { PermanentJobError } from '../../queue/queue.port.ts'
import type { Delivery, DeliveryState, DestinationKind } from '../../store/routing.port.ts'

type DeliveryDeps = Pick<Deps, 'store' | 'queue' | 'clock' | 'config'>

/** What one attempt came to: delivered (with the receiver's id), or a failure that may be retried. */
export type AttemptOutcome =
  | { ok: true; externalId: string | null }
  | { ok: false; permanent: boolean; error: string }

export const jobOfKind = { efile: 'deliver.efile', email: 'deliver.email', queue: 'deliver.queue' } as const

// A delivery left in `sending` this long belongs to a dead worker: the job's redelivery may take it.
const STALE_MS = 150_000
const MAX_ERROR = 500

/**
 * One attempt of a delivery job: claim the row (nobody else sends it meanwhile, a delivered one is
 * never sent again), run the attempt, settle the row. Retries are ours, not the queue's: the delay
 * and limit come from config, and the row always says how far the delivery got.
 */
export async function runDelivery(
  deps: DeliveryDeps,
  deliveryId: string,
  kind: DestinationKind,
  log: Logger,
  attempt: (delivery: Delivery) => Promise<AttemptOutcome>,
): Promise<void> {
  const now = deps.clock()
  const delivery = await deps.store.deliveries.claim(deliveryId, now, new Date(now.getTime() - STALE_MS))
  if (!delivery) {
    const current = await deps.store.deliveries.get(deliveryId)
    // In flight elsewhere, or left by a worker that died mid-attempt: retry once the row is stale.
    if (current?.state === 'sending')
      throw new Error(`delivery ${deliveryId} is being sent by another worker`)
    log.debug({ deliveryId, state: current?.state ?? null }, 'delivery not due (done or failed)')
    return
  }
  if (delivery.destinationKind !== kind) throw new PermanentJobError(`delivery ${deliveryId} is not ${kind}`)
  let outcome: AttemptOutcome
  try {
    outcome = await attempt(delivery)
  } catch (err) {
    const permanent = err instanceof PermanentJobError || (isAppError(err) && !err.retryable)
    outcome = { ok: false, permanent, error: errorText(err) }
  }
  await settle(deps, delivery, outcome, log)
}

async function settle(deps: DeliveryDeps, delivery: Delivery, outcome: AttemptOutcome, log: Logger) {
  const now = deps.clock()
  const ctx = { deliveryId: delivery.id, messageId: delivery.messageId, attempt: delivery.attempts }
  if (outcome.ok) {
    await deps.store.transaction(async (tx) => {
      await tx.deliveries.settle(delivery.id, { state: 'delivered', externalId: outcome.externalId }, now)
      await tx.routing.setMessageState(delivery.messageId, 'delivered', ['routed', 'failed'])
    })
    log.info({ ...ctx, kind: delivery.destinationKind }, 'delivery delivered')
    return
  }
  const error = outcome.error.slice(0, MAX_ERROR)
  if (outcome.permanent || delivery.attempts >= deps.config.delivery.maxAttempts) {
    await deps.store.transaction(async (tx) => {
      await tx.deliveries.settle(delivery.id, { state: 'failed', error }, now)
      const all = await tx.deliveries.listForMessage(delivery.messageId)
      if (all.every((d) => d.id === delivery.id || d.state === 'failed'))
        await tx.routing.setMessageState(delivery.messageId, 'failed', ['routed'])
    })
    log.warn({ ...ctx, permanent: outcome.permanent }, 'delivery failed')
    return
  }
  const startAfter = new Date(now.getTime() + retryDelay(deps.config.delivery, delivery.attempts))
  await deps.store.transaction(async (tx) => {
    await tx.deliveries.settle(delivery.id, { state: 'retrying', error }, now)
    await deps.queue.send(
      jobOfKind[delivery.destinationKind],
      { deliveryId: delivery.id },
      { tx, startAfter },
    )
  })
  log.info({ ...ctx, retryAt: startAfter.toISOString() }, 'delivery will be retried')
}

/** Exponential backoff from the base delay, capped, minus up to half of it as random jitter. */
export function retryDelay(cfg: { retryBaseMs: number; retryMaxMs: number }, attempts: number): number {
  const full = Math.min(cfg.retryBaseMs * 2 ** Math.max(0, attempts - 1), cfg.retryMaxMs)
  return Math.round(full - Math.random() * (full / 2))
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err))

/**
 * Puts failed deliveries back in their queue (one by id, or every failed one of the office, or of all
 * offices from the CLI). Only `failed` rows move, so a delivered one is never sent twice.
 */
export async function replayDeliveries(
  deps: Pick<Deps, 'store' | 'queue' | 'clock'>,
  select: { id: string; officeId?: string } | { failed: true; officeId?: string; limit?: number },
  actor: { kind: 'staff' | 'system'; id: string | null },
): Promise<{ replayed: string[]; skipped: { id: string; state: DeliveryState | 'not_found' }[] }> {
  const candidates: (Delivery | null)[] =
    'id' in select
      ? [
          select.officeId
            ? await deps.store.deliveries.getForOffice(select.officeId, select.id)
            : await deps.store.deliveries.get(select.id),
        ]
      : await deps.store.deliveries.list({
          state: 'failed',
          limit: select.limit ?? 1000,
          ...(select.officeId ? { officeId: select.officeId } : {}),
        })
  const replayed: string[] = []
  const skipped: { id: string; state: DeliveryState | 'not_found' }[] = []
  for (const d of candidates) {
    if (!d) {
      skipped.push({ id: 'id' in select ? select.id : '', state: 'not_found' })
      continue
    }
    const done = await deps.store.transaction(async (tx) => {
      if (!(await tx.deliveries.requeue(d.id, deps.clock()))) return false
      await tx.routing.setMessageState(d.messageId, 'routed', ['failed'])
      await deps.queue.send(jobOfKind[d.destinationKind], { deliveryId: d.id }, { tx })
      await tx.audit.append({
        actorKind: actor.kind,
        actorId: actor.id,
        action: 'delivery.replayed',
        subjectKind: 'delivery',
        subjectId: d.id,
        officeId: select.officeId ?? null,
        details: { messageId: d.messageId, kind: d.destinationKind, attemptsBefore: d.attempts },
      })
      return true
    })
    if (done) replayed.push(d.id)
    else skipped.push({ id: d.id, state: d.state })
  }
  return { replayed, skipped }
}

/** A delivery as admins and the office's thread view see it: when, where, what the receiver said. */
export function deliveryView(d: Delivery) {
  return {
    id: d.id,
    messageId: d.messageId,
    kind: d.destinationKind,
    destination: d.destination,
    state: d.state,
    attempts: d.attempts,
    externalId: d.externalId,
    error: d.error,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    deliveredAt: d.deliveredAt ? d.deliveredAt.toISOString() : null,
  }
}
