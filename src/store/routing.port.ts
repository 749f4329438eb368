import type { Message, MessageState } from './postbox.port.ts'
import type { Office, RoutingRule } from './store.types.ts'

/** Routing decisions, deliveries and service-center items (issue 6); workers read them unscoped by id. */

export type DestinationKind = 'efile' | 'email' | 'queue'
/** pending → sending → delivered, or → retrying → sending …, or → failed (replayable). */
export type DeliveryState = 'pending' | 'sending' | 'retrying' | 'delivered' | 'failed'

export type Delivery = {
  id: string
  messageId: string
  destinationKind: DestinationKind
  /** 'efile', the inbox address, or the queue name. */
  destination: string
  state: DeliveryState
  attempts: number
  /** The e-file's document id, the sent Message-ID, or the service-center item id. */
  externalId: string | null
  /** Why the last attempt failed (status line and a cut response, never message content). */
  error: string | null
  createdAt: Date
  updatedAt: Date
  deliveredAt: Date | null
}
export type NewDelivery = Pick<
  Delivery,
  'id' | 'messageId' | 'destinationKind' | 'destination' | 'createdAt'
> & {
  /**
   * Written as already delivered at createdAt after one attempt, with this external id (a delivery
   * completed in the transaction that creates it: a service-center queue); otherwise pending.
   */
  delivered?: { externalId: string | null }
}

/** A message with the routing columns the postbox views leave out. */
export type RoutedMessage = Message & { routeRuleId: string | null; routeDestinations: string[] | null }

export type RuleVersion = {
  officeId: string
  version: number
  rules: RoutingRule[]
  changedBy: string | null
  createdAt: Date
}

export type RoutingFacts = {
  message: RoutedMessage
  office: Office
  category: string
  subjectEnc: Buffer
  attachmentCount: number
}

export type ServiceCenterState = 'open' | 'claimed' | 'answered' | 'forwarded' | 'closed'

export type ServiceCenterItem = {
  id: string
  officeId: string
  deliveryId: string
  messageId: string
  threadId: string
  queue: string
  state: ServiceCenterState
  claimedBy: string | null
  leaseUntil: Date | null
  dueAt: Date
  overdue: boolean
  createdAt: Date
  updatedAt: Date
  closedAt: Date | null
}
export type NewServiceCenterItem = Pick<
  ServiceCenterItem,
  'id' | 'officeId' | 'deliveryId' | 'messageId' | 'threadId' | 'queue' | 'dueAt' | 'createdAt'
>

export type ServiceCenterQuery = {
  officeId: string
  queue?: string
  /** 'open' includes claimed items whose lease has run out. */
  state?: ServiceCenterState
  overdue?: boolean
  now: Date
  limit: number
}

export type DeliveryQuery = { officeId?: string; state?: DeliveryState; limit: number }

export interface RoutingRepo {
  /**
   * Inside a transaction whose job completes right after it: its commit need not wait for the WAL
   * flush (PostgreSQL synchronous_commit off), because the job's synchronous completion flushes it
   * first; until then a crash loses both and the job runs again. Keeps the audit-chain lock short.
   */
  deferFlush(): Promise<void>
  /** Replaces the office's rules and bumps its version while it is still baseVersion (any when null); the new version, or null. */
  setRules(officeId: string, rules: RoutingRule[], baseVersion: number | null): Promise<number | null>
  /** Keeps a copy of the rule set stored as version (same transaction as setRules). */
  saveRuleVersion(v: RuleVersion): Promise<void>
  /** One stored version of the office's rules, or null. */
  getRuleVersion(officeId: string, version: number): Promise<RuleVersion | null>
  /** Sets the office's e-file endpoint; false when there is no such office. */
  setEfileEndpoint(officeId: string, url: string | null): Promise<boolean>
  /** Unscoped read for workers that got the id from a job payload; null when gone. */
  getMessage(id: string): Promise<RoutedMessage | null>
  /** What routing decides on, in one query: the message, its office, its thread's category and sealed subject, its file count. */
  getRoutingFacts(id: string): Promise<RoutingFacts | null>
  /** A (non-draft) message of the office, or null. */
  getMessageForOffice(officeId: string, id: string): Promise<RoutedMessage | null>
  /**
   * Records rule and destinations (state routed, or delivered when a delivery completed in the same
   * transaction) while the message is submitted and unrouted; false otherwise.
   */
  recordRoute(
    id: string,
    ruleId: string,
    destinations: string[],
    state?: 'routed' | 'delivered',
  ): Promise<boolean>
  /** Records a staff re-route: the rule id and the destinations added to those before. */
  recordReroute(id: string, ruleId: string, destinations: string[]): Promise<boolean>
  /** Moves a message to state while it is in one of from; false otherwise. */
  setMessageState(id: string, state: MessageState, from: readonly MessageState[]): Promise<boolean>
  /** Marks the thread's citizen messages sent at or before `at` as answered; how many changed. */
  markAnswered(threadId: string, at: Date): Promise<number>
}

export interface DeliveryRepo {
  /** Inserts a delivery; false (nothing written) when the message already has one for that destination. */
  insert(delivery: NewDelivery): Promise<boolean>
  /** One delivery by id (workers), or null. */
  get(id: string): Promise<Delivery | null>
  /** A delivery of a message of the office, or null. */
  getForOffice(officeId: string, id: string): Promise<Delivery | null>
  /** The deliveries of a message, oldest first. */
  listForMessage(messageId: string): Promise<Delivery[]>
  /** Deliveries (of an office's messages), newest first. */
  list(query: DeliveryQuery): Promise<Delivery[]>
  /**
   * Takes the delivery for one attempt (state sending, attempts + 1) while it is pending or retrying,
   * or sending but untouched since staleBefore (a dead worker); null when it is not to be sent now.
   */
  claim(id: string, now: Date, staleBefore: Date): Promise<Delivery | null>
  /** Ends an attempt while the delivery is sending: delivered, retrying or failed, with its details. */
  settle(
    id: string,
    outcome: {
      state: 'delivered' | 'retrying' | 'failed'
      externalId?: string | null
      error?: string | null
    },
    now: Date,
  ): Promise<boolean>
  /** A failed delivery back to pending with zero attempts (replay); false for any other state. */
  requeue(id: string, now: Date): Promise<boolean>
}

export interface ServiceCenterRepo {
  /** Inserts an item; false when its delivery already made one. */
  insert(item: NewServiceCenterItem): Promise<boolean>
  /** An item of the office, or null. */
  get(officeId: string, id: string): Promise<ServiceCenterItem | null>
  /** The office's items, oldest due first. */
  list(query: ServiceCenterQuery): Promise<ServiceCenterItem[]>
  /**
   * One conditional UPDATE: the item becomes claimed by staffId until leaseUntil while it is open,
   * its lease ran out, or staffId already holds it; null when someone else holds it or it is done.
   */
  claim(
    officeId: string,
    id: string,
    staffId: string,
    now: Date,
    leaseUntil: Date,
  ): Promise<ServiceCenterItem | null>
  /** Ends an item (answered, forwarded, closed) while staffId holds an unexpired lease; false otherwise. */
  finish(
    officeId: string,
    id: string,
    staffId: string,
    state: 'answered' | 'forwarded' | 'closed',
    now: Date,
  ): Promise<boolean>
  /** Marks items past due as overdue and returns expired leases to the queue. */
  sweep(now: Date): Promise<{ overdue: number; released: number }>
}

export type RoutingRepos = {
  routing: RoutingRepo
  deliveries: DeliveryRepo
  serviceCenter: ServiceCenterRepo
}
