import { createHash, randomUUID } from 'node:crypto'
import type { Deps } from '../../deps.ts'
import { isId } from '../../ids.ts'
import type { Logger } from '../../logger.ts'
import type { DestinationKind, RoutedMessage } from '../../store/routing.port.ts'
import type { Repos, Tx } from '../../store/store.port.ts'
import type { Destination, Office, RoutingRule } from '../../store/store.types.ts'
import { writeQueueDelivery } from '../delivery/delivery.queue.ts'
import { jobOfKind } from '../delivery/delivery.service.ts'
import { keysOf, openBody, openSubject } from '../postbox/postbox.crypto.ts'
import { routingErrors, texts } from './routing.errors.ts'
import { firstMatch } from './routing.match.ts'
import { destinationKey, type RerouteInput, type RuleSetInput } from './routing.schemas.ts'

type RoutingDeps = Pick<Deps, 'store' | 'queue' | 'keyring' | 'clock' | 'log' | 'config'>
export type Actor = { staffId: string; officeId: string; role: string }

/** Used when an office has no rules at all (offices created before routing): never drop a message. */
export const BUILTIN_DEFAULT = 'builtin-default'

/** The office's rules and their version, for its own admin. */
export async function getRules(deps: Pick<Deps, 'store'>, actor: Actor, officeId: string) {
  const office = await ownOffice(deps, actor, officeId)
  return { officeId: office.id, version: office.routingVersion, rules: office.routingRules }
}

/** Replaces the office's rule set (one default rule, last); versioned and audit-logged in one transaction. */
export async function putRules(deps: RoutingDeps, actor: Actor, officeId: string, input: RuleSetInput) {
  const office = await ownOffice(deps, actor, officeId)
  const rules = validateRules(input.rules)
  const version = await deps.store.transaction(async (tx) => {
    const next = await tx.routing.setRules(office.id, rules, input.baseVersion ?? null)
    if (next === null) {
      const current = (await tx.offices.get(office.id))?.routingVersion ?? 0
      throw routingErrors.version_conflict(texts.versionConflict(current), { extra: { version: current } })
    }
    await tx.routing.saveRuleVersion({
      officeId: office.id,
      version: next,
      rules,
      changedBy: actor.staffId,
      createdAt: deps.clock(),
    })
    await tx.audit.append({
      actorKind: 'staff',
      actorId: actor.staffId,
      action: 'routing.rules_changed',
      subjectKind: 'office',
      subjectId: office.id,
      officeId: office.id,
      details: {
        version: next,
        previousVersion: office.routingVersion,
        rules: rules.map((r) => r.id),
        sha256: createHash('sha256').update(JSON.stringify(rules)).digest('hex'),
      },
    })
    return next
  })
  return { officeId: office.id, version, rules }
}

/** A rule set as it was stored at version, so an audited routing decision can be explained later. */
export async function getRuleVersion(
  deps: Pick<Deps, 'store'>,
  actor: Actor,
  officeId: string,
  version: number,
) {
  const office = await ownOffice(deps, actor, officeId)
  const found = await deps.store.routing.getRuleVersion(office.id, version)
  if (!found) throw routingErrors.version_not_found(texts.versionNotFound)
  return {
    officeId: office.id,
    version: found.version,
    rules: found.rules,
    changedBy: found.changedBy,
    createdAt: found.createdAt.toISOString(),
  }
}

/** Sets the office's e-file endpoint (audit-logged); deliveries read it at send time. */
export async function setEfileEndpoint(
  deps: Pick<Deps, 'store' | 'config'>,
  actor: Actor,
  officeId: string,
  endpoint: string | null,
) {
  const office = await ownOffice(deps, actor, officeId)
  // Message content travels there: in production only over TLS (verified by fetch's defaults).
  if (endpoint && deps.config.env === 'production' && !endpoint.startsWith('https://'))
    throw routingErrors.invalid_endpoint(texts.httpsOnly)
  await deps.store.transaction(async (tx) => {
    await tx.routing.setEfileEndpoint(office.id, endpoint)
    await tx.audit.append({
      actorKind: 'staff',
      actorId: actor.staffId,
      action: 'routing.efile_endpoint_changed',
      subjectKind: 'office',
      subjectId: office.id,
      officeId: office.id,
      details: { configured: endpoint !== null },
    })
  })
  return { officeId: office.id, endpoint }
}

/** Exactly one default rule, last, without conditions; rule ids unique. Returns the stored form. */
export function validateRules(rules: RuleSetInput['rules']): RoutingRule[] {
  const defaults = rules.filter((r) => r.isDefault)
  const last = rules.at(-1)
  if (defaults.length !== 1 || !last?.isDefault) throw routingErrors.no_default_rule(texts.noDefaultRule)
  if (Object.keys(last.match).length > 0) throw routingErrors.invalid_rules(texts.defaultMatches)
  if (new Set(rules.map((r) => r.id)).size !== rules.length)
    throw routingErrors.invalid_rules(texts.duplicateIds)
  return rules.map((r) => ({
    id: r.id,
    name: r.name,
    match: r.match,
    destinations: r.destinations,
    ...(r.isDefault ? { isDefault: true } : {}),
  }))
}

/**
 * Job message.route: the office's first matching rule decides; rule, destinations, one delivery per
 * destination and their jobs are written in one transaction. A service-center queue destination needs
 * no network, so its item is written and its delivery settled in that same transaction (one job hop
 * less per message; deliver.queue stays for replays). A message already routed is left alone.
 */
export async function routeMessage(deps: RoutingDeps, messageId: string, log: Logger): Promise<void> {
  const facts = await deps.store.routing.getRoutingFacts(messageId)
  if (!routable(facts, messageId, log)) return
  const rule = await chooseRule(deps, facts.office, facts.message, facts)
  const created = await deps.store.transaction((tx) => writeRoute(deps, tx, facts, rule))
  log.info({ messageId, ruleId: rule.id, deliveries: created }, 'message routed')
}

/**
 * The same routing inside the caller's transaction: the upload check that decides a message's last
 * file routes it at once, instead of a message.route job (one job hop less: its insert, fetches and
 * completion were a quarter of PostgreSQL's work per message, bench/routing.bench.ts). False when the
 * message is not to be routed (an office message, already routed).
 */
export async function routeWithin(
  deps: RoutingDeps,
  tx: Tx,
  facts: RoutingFacts,
  log: Logger,
): Promise<boolean> {
  if (!routable(facts, facts.message.id, log)) return false
  const rule = await chooseRule(deps, facts.office, facts.message, facts, tx)
  const created = await writeRoute(deps, tx, facts, rule)
  log.info({ messageId: facts.message.id, ruleId: rule.id, deliveries: created }, 'message routed')
  return true
}

type RoutingFacts = NonNullable<Awaited<ReturnType<Deps['store']['routing']['getRoutingFacts']>>>

function routable(facts: RoutingFacts | null, messageId: string, log: Logger): facts is RoutingFacts {
  const message = facts?.message
  if (!facts || message?.state !== 'submitted' || message.routeRuleId !== null) {
    log.debug({ messageId, state: message?.state ?? null }, 'message.route: nothing to route')
    return false
  }
  return message.direction === 'citizen_to_office'
}

/** Rule, destinations, one delivery per destination (a queue one delivered at once) and the audit entry. */
async function writeRoute(deps: RoutingDeps, tx: Tx, facts: RoutingFacts, rule: RoutingRule) {
  const { message, office } = facts
  const keys = rule.destinations.map(destinationKey)
  // Every routing tx takes the audit-chain lock; not waiting for the flush under it is what lets
  // routing keep up (bench/routing.bench.ts). The job's completion flushes this commit first.
  await tx.routing.deferFlush()
  // A queue destination is delivered in this transaction (addDeliveries with inline), so the message is too.
  const state = rule.destinations.some((d) => d.kind === 'queue') ? 'delivered' : 'routed'
  if (!(await tx.routing.recordRoute(message.id, rule.id, keys, state))) return null
  const n = await addDeliveries(deps, tx, message.id, rule.destinations, { message, office })
  // Last statement before COMMIT: the audit-chain lock then covers only the chain insert and the commit.
  await tx.audit.append({
    actorKind: 'system',
    actorId: null,
    action: 'message.routed',
    subjectKind: 'message',
    subjectId: message.id,
    officeId: office.id,
    details: {
      ruleId: rule.id,
      routingVersion: office.routingVersion,
      destinations: kinds(rule),
      deliveries: n,
    },
  })
  return n
}

/**
 * Staff re-route: explicit destinations, or the office's current rules again. Destinations the message
 * already has keep their delivery (a failed one is replayed instead); new ones get a delivery each.
 */
export async function reroute(deps: RoutingDeps, actor: Actor, messageId: string, input: RerouteInput) {
  const message = isId(messageId)
    ? await deps.store.routing.getMessageForOffice(actor.officeId, messageId)
    : null
  if (!message) throw routingErrors.message_not_found(texts.messageNotFound)
  if (message.direction !== 'citizen_to_office' || message.state === 'submitted')
    throw routingErrors.not_routable(texts.notRoutable)
  const office = await deps.store.offices.get(actor.officeId)
  if (!office) throw routingErrors.office_not_found(texts.officeNotFound)
  const chosen: RoutingRule = input.destinations
    ? {
        id: `reroute:${actor.staffId.slice(0, 8)}`,
        name: 'reroute',
        match: {},
        destinations: input.destinations,
      }
    : await chooseRule(deps, office, message)
  const result = await deps.store.transaction(async (tx) => {
    const keys = [
      ...new Set([...(message.routeDestinations ?? []), ...chosen.destinations.map(destinationKey)]),
    ]
    await tx.routing.recordReroute(message.id, chosen.id, keys)
    const added = await addDeliveries(deps, tx, message.id, chosen.destinations)
    if (added > 0) await tx.routing.setMessageState(message.id, 'routed', ['failed'])
    await tx.audit.append({
      actorKind: 'staff',
      actorId: actor.staffId,
      action: 'message.rerouted',
      subjectKind: 'message',
      subjectId: message.id,
      officeId: office.id,
      details: { ruleId: chosen.id, destinations: kinds(chosen), added },
    })
    return { ruleId: chosen.id, destinations: keys, added }
  })
  return { messageId: message.id, ...result }
}

/**
 * One pending delivery and its job per destination new to the message; how many were added. With
 * `inline` (routing, which holds the message and office already), a queue destination is delivered
 * in this transaction instead of by a deliver.queue job: the row written delivered with its item, as
 * that job would leave them (writeQueueDelivery); the caller records the message delivered. Network
 * deliveries always get their job.
 */
export async function addDeliveries(
  deps: Pick<Deps, 'queue' | 'clock' | 'config'>,
  tx: Tx,
  messageId: string,
  destinations: readonly Destination[],
  inline?: { message: { id: string; threadId: string }; office: Office },
): Promise<number> {
  let added = 0
  for (const dest of destinations) {
    const id = randomUUID()
    if (dest.kind === 'queue' && inline) {
      const input = { id, ...inline, queue: dest.queue, now: deps.clock() }
      if (await writeQueueDelivery(deps, tx, input)) added++
      continue
    }
    const kind: DestinationKind = dest.kind
    const value =
      dest.kind === 'efile' ? 'efile' : dest.kind === 'email' ? dest.address.toLowerCase() : dest.queue
    const inserted = await tx.deliveries.insert({
      id,
      messageId,
      destinationKind: kind,
      destination: value,
      createdAt: deps.clock(),
    })
    if (!inserted) continue
    await deps.queue.send(jobOfKind[kind], { deliveryId: id }, { tx })
    added++
  }
  return added
}

type Facts = { category: string; subjectEnc: Buffer; attachmentCount: number }

async function chooseRule(
  deps: RoutingDeps,
  office: Office,
  message: RoutedMessage,
  known?: Facts,
  // Inside a transaction its reads go through it (on SQLite the store waits for that transaction).
  reader: Pick<Repos, 'routing' | 'citizens'> = deps.store,
): Promise<RoutingRule> {
  const facts = known ?? (await reader.routing.getRoutingFacts(message.id))
  if (!facts) throw new Error(`message ${message.id} or its thread is gone`)
  // The citizen row (for the data key) is read only when a rule has keywords.
  const needsText = office.routingRules.some((r) => r.match.keywords?.length)
  const citizen = needsText ? await reader.citizens.get(message.citizenId) : null
  return (
    firstMatch(office.routingRules, {
      category: facts.category,
      kind: message.kind,
      hasAttachments: facts.attachmentCount > 0,
      // Decrypted only when a rule has keywords; the text never leaves the matcher.
      text: () => {
        if (!citizen) return ''
        const keys = keysOf(deps, citizen)
        return `${openSubject(keys, message.threadId, facts.subjectEnc)}\n${openBody(keys, message.id, message.bodyEnc)}`
      },
    }) ?? builtinDefault(office)
  )
}

function builtinDefault(office: Office): RoutingRule {
  const destination: Destination = office.efileEndpoint
    ? { kind: 'efile' }
    : office.inboxAddress
      ? { kind: 'email', address: office.inboxAddress }
      : { kind: 'queue', queue: 'allgemein' }
  return {
    id: BUILTIN_DEFAULT,
    name: 'built-in default',
    match: {},
    destinations: [destination],
    isDefault: true,
  }
}

const kinds = (rule: RoutingRule) => rule.destinations.map((d) => d.kind)

async function ownOffice(deps: Pick<Deps, 'store'>, actor: Actor, officeId: string): Promise<Office> {
  const office = officeId === actor.officeId && isId(officeId) ? await deps.store.offices.get(officeId) : null
  if (!office) throw routingErrors.office_not_found(texts.officeNotFound)
  return office
}
