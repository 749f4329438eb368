import type { Deps } from '../../deps.ts'
import { isId } from '../../ids.ts'
import type { ServiceCenterItem } from '../../store/routing.port.ts'
import type { Tx } from '../../store/store.port.ts'
import { readThreadForOffice } from '../postbox/postbox.read.ts'
import { writeOfficeReply } from '../replies/office-reply.service.ts'
import { destinationKey } from '../routing/routing.schemas.ts'
import { addDeliveries } from '../routing/routing.service.ts'
import { serviceCenterErrors, texts } from './service-center.errors.ts'
import type { ForwardInput, ItemsQuery } from './service-center.schemas.ts'

type ScDeps = Pick<Deps, 'config' | 'store' | 'queue' | 'blobs' | 'keyring' | 'clock' | 'log'>
export type Agent = { staffId: string; officeId: string; role: string }

/** The office's items, oldest due first; a claim whose lease ran out shows as open again. */
export async function listItems(deps: Pick<Deps, 'store' | 'clock'>, agent: Agent, q: ItemsQuery) {
  const now = deps.clock()
  const items = await deps.store.serviceCenter.list({
    officeId: agent.officeId,
    now,
    limit: q.limit,
    ...(q.queue ? { queue: q.queue } : {}),
    ...(q.state ? { state: q.state } : {}),
    ...(q.overdue === undefined ? {} : { overdue: q.overdue }),
  })
  return { items: items.map((i) => itemView(i, now)) }
}

/** One item with its thread (the staff read is audit-logged like every office thread read). */
export async function getItem(deps: ScDeps, agent: Agent, id: string) {
  const item = await ownItem(deps, agent, id)
  const thread = await readThreadForOffice(deps, agent, item.threadId)
  return { ...itemView(item, deps.clock()), thread }
}

/** Takes the item for CLAIM_LEASE_MINUTES; of two agents claiming at once exactly one wins. */
export async function claimItem(deps: Pick<Deps, 'store' | 'clock' | 'config'>, agent: Agent, id: string) {
  const now = deps.clock()
  const leaseUntil = new Date(now.getTime() + deps.config.delivery.claimLeaseMs)
  const claimed = isId(id)
    ? await deps.store.serviceCenter.claim(agent.officeId, id, agent.staffId, now, leaseUntil)
    : null
  if (claimed) return itemView(claimed, now)
  const item = await ownItem(deps, agent, id)
  if (item.state === 'claimed') throw serviceCenterErrors.claimed_by_other(texts.claimedByOther)
  throw serviceCenterErrors.finished(texts.finished, { extra: { state: item.state } })
}

/** Answers the citizen in the item's thread (issue 6b's office reply) and ends the item as answered. */
export async function replyToItem(deps: ScDeps, agent: Agent, id: string, body: string) {
  const item = await heldItem(deps, agent, id)
  const written = await writeOfficeReply(deps, {
    officeId: agent.officeId,
    threadId: item.threadId,
    body,
    source: 'service_center',
    actor: { kind: 'staff', id: agent.staffId },
    files: [],
  })
  await deps.store.transaction(async (tx) => {
    await tx.serviceCenter.finish(agent.officeId, item.id, agent.staffId, 'answered', deps.clock())
    await tx.routing.markAnswered(item.threadId, deps.clock())
    await audit(tx, agent, item, 'service_center.answered', { replyMessageId: written.messageId })
  })
  return { ...written, itemId: item.id, state: 'answered' as const }
}

/** Hands the item on to the e-file or an inbox: a new delivery of the same message, through routing. */
export async function forwardItem(deps: ScDeps, agent: Agent, id: string, input: ForwardInput) {
  const item = await heldItem(deps, agent, id)
  const message = await deps.store.routing.getMessage(item.messageId)
  if (!message) throw serviceCenterErrors.item_not_found(texts.notFound)
  const added = await deps.store.transaction(async (tx) => {
    if (!(await tx.serviceCenter.finish(agent.officeId, item.id, agent.staffId, 'forwarded', deps.clock())))
      throw serviceCenterErrors.not_claimed(texts.notClaimed)
    const keys = [...new Set([...(message.routeDestinations ?? []), destinationKey(input.destination)])]
    await tx.routing.recordReroute(message.id, `forward:${item.queue}`, keys)
    const n = await addDeliveries(deps, tx, message.id, [input.destination])
    await audit(tx, agent, item, 'service_center.forwarded', { kind: input.destination.kind, added: n })
    return n
  })
  return { itemId: item.id, state: 'forwarded' as const, added }
}

/** Ends the item without an answer (e.g. nothing to do); only the agent holding it may. */
export async function closeItem(deps: ScDeps, agent: Agent, id: string) {
  const item = await heldItem(deps, agent, id)
  await deps.store.transaction(async (tx) => {
    if (!(await tx.serviceCenter.finish(agent.officeId, item.id, agent.staffId, 'closed', deps.clock())))
      throw serviceCenterErrors.not_claimed(texts.notClaimed)
    await audit(tx, agent, item, 'service_center.closed', {})
  })
  return { itemId: item.id, state: 'closed' as const }
}

async function ownItem(deps: Pick<Deps, 'store'>, agent: Agent, id: string): Promise<ServiceCenterItem> {
  const item = isId(id) ? await deps.store.serviceCenter.get(agent.officeId, id) : null
  if (!item) throw serviceCenterErrors.item_not_found(texts.notFound)
  return item
}

// Only the agent whose lease still runs may answer, forward or close.
async function heldItem(deps: ScDeps, agent: Agent, id: string): Promise<ServiceCenterItem> {
  const item = await ownItem(deps, agent, id)
  if (item.state !== 'claimed' && item.state !== 'open') throw serviceCenterErrors.finished(texts.finished)
  const now = deps.clock()
  const held = item.state === 'claimed' && item.claimedBy === agent.staffId && (item.leaseUntil ?? now) > now
  if (!held) throw serviceCenterErrors.not_claimed(texts.notClaimed)
  return item
}

const audit = (
  tx: Tx,
  agent: Agent,
  item: ServiceCenterItem,
  action: string,
  details: Record<string, unknown>,
) =>
  tx.audit.append({
    actorKind: 'staff',
    actorId: agent.staffId,
    action,
    subjectKind: 'service_center_item',
    subjectId: item.id,
    officeId: agent.officeId,
    details: { messageId: item.messageId, queue: item.queue, ...details },
  })

function itemView(i: ServiceCenterItem, now: Date) {
  const expired = i.state === 'claimed' && (i.leaseUntil?.getTime() ?? 0) < now.getTime()
  const open = i.state === 'open' || i.state === 'claimed'
  return {
    id: i.id,
    queue: i.queue,
    state: expired ? 'open' : i.state,
    claimedBy: expired ? null : i.claimedBy,
    leaseUntil: expired || !i.leaseUntil ? null : i.leaseUntil.toISOString(),
    dueAt: i.dueAt.toISOString(),
    overdue: i.overdue || (open && i.dueAt.getTime() < now.getTime()),
    messageId: i.messageId,
    threadId: i.threadId,
    createdAt: i.createdAt.toISOString(),
    closedAt: i.closedAt ? i.closedAt.toISOString() : null,
  }
}
