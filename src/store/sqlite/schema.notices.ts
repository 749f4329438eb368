import { index, sqliteTable, uniqueIndex } from 'drizzle-orm/sqlite-core'
import type { NoticeDecision } from '../notices.types.ts'
import { bool, bytes, id, int, json, ref, str, time } from './columns.ts'
import { citizens, messages, offices } from './schema.ts'

// Notice tables; identical names in pg/schema.notices.ts (checked by the parity test).

export const notices = sqliteTable(
  'notices',
  {
    id: id().primaryKey(),
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    // The office's record of a notice outlives a deleted postbox account (its proof of sending and dates).
    citizenId: ref('citizen_id').references(() => citizens.id, { onDelete: 'set null' }),
    customerNumber: str('customer_number').notNull(),
    senderNoticeId: str('sender_notice_id').notNull(),
    noticeType: str('notice_type').notNull(),
    digital: bool('digital').notNull(),
    documentKind: str('document_kind').notNull(),
    documentState: str('document_state').notNull(),
    documentDetail: str('document_detail'),
    blobKey: str('blob_key'),
    dekWrapped: bytes('dek_wrapped').notNull(),
    dekKeyId: str('dek_key_id').notNull(),
    subjectEnc: bytes('subject_enc').notNull(),
    textEnc: bytes('text_enc'),
    addressEnc: bytes('address_enc'),
    threadId: ref('thread_id'),
    reference: str('reference').notNull(),
    state: str('state').notNull(),
    channel: str('channel'),
    channelReason: str('channel_reason'),
    decision: json<NoticeDecision>('decision'),
    decidedAt: time('decided_at'),
    messageId: ref('message_id'),
    providedAt: time('provided_at'),
    notifyState: str('notify_state').notNull(),
    notifyError: str('notify_error'),
    notifiedAt: time('notified_at'),
    retrievedAt: time('retrieved_at'),
    deemedOn: str('deemed_on'),
    legalBasis: str('legal_basis'),
    fallbackReason: str('fallback_reason'),
    createdByStaffId: ref('created_by_staff_id'),
    createdAt: time('created_at').notNull(),
    updatedAt: time('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('notices_sender_uq').on(t.officeId, t.senderNoticeId),
    index('notices_message_idx').on(t.messageId),
    index('notices_citizen_idx').on(t.citizenId),
    index('notices_state_idx').on(t.channel, t.state),
    index('notices_office_created_idx').on(t.officeId, t.createdAt),
  ],
)

export const printJobs = sqliteTable(
  'print_jobs',
  {
    id: id().primaryKey(),
    noticeId: ref('notice_id')
      .notNull()
      .references(() => notices.id, { onDelete: 'cascade' }),
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    state: str('state').notNull(),
    reason: str('reason').notNull(),
    blobKey: str('blob_key').notNull(),
    pages: int('pages').notNull(),
    bytes: int('bytes').notNull(),
    exportBatch: str('export_batch'),
    createdAt: time('created_at').notNull(),
    exportedAt: time('exported_at'),
    handedOverAt: time('handed_over_at'),
  },
  (t) => [uniqueIndex('print_jobs_notice_uq').on(t.noticeId), index('print_jobs_state_idx').on(t.state)],
)

export const notifications = sqliteTable(
  'notifications',
  {
    id: id().primaryKey(),
    citizenId: ref('citizen_id')
      .notNull()
      .references(() => citizens.id, { onDelete: 'cascade' }),
    messageId: ref('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    channel: str('channel').notNull(),
    state: str('state').notNull(),
    attempts: int('attempts').notNull(),
    error: str('error'),
    externalId: str('external_id'),
    createdAt: time('created_at').notNull(),
    claimedAt: time('claimed_at'),
    sentAt: time('sent_at'),
  },
  (t) => [
    uniqueIndex('notifications_message_channel_uq').on(t.messageId, t.channel),
    index('notifications_citizen_state_idx').on(t.citizenId, t.state),
  ],
)

export const postalAddresses = sqliteTable('postal_addresses', {
  citizenId: ref('citizen_id')
    .primaryKey()
    .references(() => citizens.id, { onDelete: 'cascade' }),
  addressEnc: bytes('address_enc').notNull(),
  updatedAt: time('updated_at').notNull(),
})
