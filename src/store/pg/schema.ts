import { index, pgTable, primaryKey, uniqueIndex } from 'drizzle-orm/pg-core'
import type { RoutingRule } from '../store.types.ts'
import { bool, bytes, id, int, json, ref, seq, str, time } from './columns.ts'

// Table and column names are identical in sqlite/schema.ts (minus queue_jobs, which pg-boss replaces);
// test/contract/schema-parity.test.ts checks it.

export const offices = pgTable(
  'offices',
  {
    id: id().primaryKey(),
    code: str('code').notNull(),
    name: str('name').notNull(),
    efileEndpoint: str('efile_endpoint'),
    inboxAddress: str('inbox_address'),
    allowedSenders: json<string[]>('allowed_senders').notNull(),
    routingRules: json<RoutingRule[]>('routing_rules').notNull(),
    routingVersion: int('routing_version').notNull(),
    createdAt: time('created_at').notNull(),
  },
  (t) => [uniqueIndex('offices_code_uq').on(t.code)],
)

export const citizens = pgTable(
  'citizens',
  {
    id: id().primaryKey(),
    officeId: ref('office_id').references(() => offices.id),
    customerNumber: str('customer_number'),
    emailLookup: bytes('email_lookup').notNull(),
    emailEnc: bytes('email_enc').notNull(),
    emailConfirmedAt: time('email_confirmed_at'),
    passwordHash: str('password_hash').notNull(),
    securityLevel: str('security_level').notNull(),
    onlineComm: bool('online_comm').notNull(),
    onlineCommChangedAt: time('online_comm_changed_at'),
    notifyEmail: bool('notify_email').notNull(),
    language: str('language').notNull(),
    dekWrapped: bytes('dek_wrapped').notNull(),
    dekKeyId: str('dek_key_id').notNull(),
    phoneEnc: bytes('phone_enc'),
    smsAppointments: bool('sms_appointments').notNull().default(false),
    consentVersion: str('consent_version'),
    passwordChangedAt: time('password_changed_at'),
    createdAt: time('created_at').notNull(),
    deletedAt: time('deleted_at'),
  },
  (t) => [
    uniqueIndex('citizens_email_lookup_uq').on(t.emailLookup),
    index('citizens_office_idx').on(t.officeId, t.customerNumber),
  ],
)

export const staff = pgTable(
  'staff',
  {
    id: id().primaryKey(),
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    role: str('role').notNull(),
    label: str('label').notNull(),
    createdAt: time('created_at').notNull(),
    disabledAt: time('disabled_at'),
  },
  (t) => [index('staff_office_idx').on(t.officeId)],
)

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id().primaryKey(),
    staffId: ref('staff_id')
      .notNull()
      .references(() => staff.id),
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    role: str('role').notNull(),
    prefix: str('prefix').notNull(),
    tokenHash: bytes('token_hash').notNull(),
    createdAt: time('created_at').notNull(),
    lastUsedAt: time('last_used_at'),
    revokedAt: time('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash)],
)

export const sessions = pgTable(
  'sessions',
  {
    id: bytes('id').primaryKey(),
    citizenId: ref('citizen_id')
      .notNull()
      .references(() => citizens.id, { onDelete: 'cascade' }),
    createdAt: time('created_at').notNull(),
    lastSeenAt: time('last_seen_at').notNull(),
    expiresAt: time('expires_at').notNull(),
    mfaVerifiedAt: time('mfa_verified_at'),
    mfaMethod: str('mfa_method'),
    challenge: str('challenge'),
  },
  (t) => [index('sessions_citizen_idx').on(t.citizenId)],
)

export const threads = pgTable(
  'threads',
  {
    id: id().primaryKey(),
    citizenId: ref('citizen_id')
      .notNull()
      .references(() => citizens.id, { onDelete: 'cascade' }),
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    category: str('category').notNull(),
    reference: str('reference').notNull(),
    subjectEnc: bytes('subject_enc').notNull(),
    createdAt: time('created_at').notNull(),
    updatedAt: time('updated_at').notNull(),
  },
  (t) => [
    index('threads_citizen_idx').on(t.citizenId, t.updatedAt),
    uniqueIndex('threads_reference_uq').on(t.reference),
  ],
)

export const messages = pgTable(
  'messages',
  {
    id: id().primaryKey(),
    threadId: ref('thread_id')
      .notNull()
      .references(() => threads.id, { onDelete: 'cascade' }),
    citizenId: ref('citizen_id')
      .notNull()
      .references(() => citizens.id, { onDelete: 'cascade' }),
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    direction: str('direction').notNull(),
    kind: str('kind').notNull(),
    state: str('state').notNull(),
    citizenFolder: str('citizen_folder').notNull(),
    bodyEnc: bytes('body_enc').notNull(),
    routeRuleId: str('route_rule_id'),
    routeDestinations: json<string[]>('route_destinations'),
    createdAt: time('created_at').notNull(),
    sentAt: time('sent_at'),
    readAt: time('read_at'),
    retrievedAt: time('retrieved_at'),
    trashedAt: time('trashed_at'),
    /** Set once when every attachment has an upload-check outcome (the follow-up job went out then). */
    checkedAt: time('checked_at'),
  },
  (t) => [
    // A folder's page newest first, id as tie-break: search walks it index-only and probes each row's tokens.
    index('messages_citizen_folder_page_idx').on(t.citizenId, t.citizenFolder, t.createdAt, t.id),
    index('messages_thread_idx').on(t.threadId, t.createdAt),
    index('messages_office_state_idx').on(t.officeId, t.state),
    // The retention job finds expired trash without scanning every citizen's folders.
    index('messages_trashed_idx').on(t.trashedAt),
  ],
)

export const attachments = pgTable(
  'attachments',
  {
    id: id().primaryKey(),
    citizenId: ref('citizen_id')
      .notNull()
      .references(() => citizens.id, { onDelete: 'cascade' }),
    messageId: ref('message_id').references(() => messages.id, { onDelete: 'cascade' }),
    nameEnc: bytes('name_enc').notNull(),
    declaredType: str('declared_type').notNull(),
    detectedType: str('detected_type'),
    size: int('size').notNull(),
    scanState: str('scan_state').notNull(),
    scanDetail: str('scan_detail'),
    blobKey: str('blob_key').notNull(),
    createdAt: time('created_at').notNull(),
    /** When an infected or type-rejected file entered quarantine (its blob stays encrypted until purged). */
    quarantinedAt: time('quarantined_at'),
    /** When the quarantined blob was deleted after QUARANTINE_RETENTION_DAYS. */
    purgedAt: time('purged_at'),
  },
  (t) => [index('attachments_message_idx').on(t.messageId), index('attachments_citizen_idx').on(t.citizenId)],
)

export const searchTokens = pgTable(
  'search_tokens',
  {
    citizenId: ref('citizen_id')
      .notNull()
      .references(() => citizens.id, { onDelete: 'cascade' }),
    tokenMac: bytes('token_mac').notNull(),
    messageId: ref('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.citizenId, t.tokenMac, t.messageId] }),
    index('search_tokens_message_idx').on(t.messageId),
  ],
)

export const deliveries = pgTable(
  'deliveries',
  {
    id: id().primaryKey(),
    messageId: ref('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    destinationKind: str('destination_kind').notNull(),
    destination: str('destination').notNull(),
    state: str('state').notNull(),
    attempts: int('attempts').notNull(),
    externalId: str('external_id'),
    error: str('error'),
    createdAt: time('created_at').notNull(),
    updatedAt: time('updated_at').notNull(),
    deliveredAt: time('delivered_at'),
  },
  (t) => [
    uniqueIndex('deliveries_message_destination_uq').on(t.messageId, t.destinationKind, t.destination),
    index('deliveries_state_idx').on(t.state),
    // Inbound mail finds its thread by In-Reply-To/References = the Message-ID we sent (issue 6).
    index('deliveries_external_idx').on(t.destinationKind, t.externalId),
  ],
)

export const auditLog = pgTable(
  'audit_log',
  {
    seq: seq('seq').primaryKey(),
    at: time('at').notNull(),
    actorKind: str('actor_kind').notNull(),
    actorId: str('actor_id'),
    action: str('action').notNull(),
    subjectKind: str('subject_kind'),
    subjectId: str('subject_id'),
    officeId: str('office_id'),
    details: json<Record<string, unknown>>('details').notNull(),
    prevHash: bytes('prev_hash').notNull(),
    hash: bytes('hash').notNull(),
  },
  (t) => [index('audit_log_subject_idx').on(t.subjectKind, t.subjectId)],
)
