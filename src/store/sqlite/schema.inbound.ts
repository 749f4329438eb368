import { index, primaryKey, sqliteTable } from 'drizzle-orm/sqlite-core'
import { id, int, ref, str, time } from './columns.ts'
import { messages, offices, threads } from './schema.ts'

// Inbound mail (issue 6); identical names in pg/schema.inbound.ts (checked by the parity test).
// Ids, states, reasons, sizes and times only: addresses, subjects and bodies live in the sealed raw blob.

export const inboundMails = sqliteTable(
  'inbound_mails',
  {
    id: id().primaryKey(),
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    state: str('state').notNull(),
    reason: str('reason'),
    channel: str('channel').notNull(),
    size: int('size').notNull(),
    headerCount: int('header_count').notNull(),
    partCount: int('part_count').notNull(),
    attachmentCount: int('attachment_count').notNull(),
    blobKey: str('blob_key'),
    threadId: ref('thread_id').references(() => threads.id, { onDelete: 'set null' }),
    messageId: ref('message_id').references(() => messages.id, { onDelete: 'set null' }),
    receivedAt: time('received_at').notNull(),
    processedAt: time('processed_at'),
  },
  (t) => [index('inbound_mails_office_state_idx').on(t.officeId, t.state, t.receivedAt)],
)

/** Replies the e-file system sent with an Idempotency-Key: a retried POST gets the first answer back. */
export const efileReplies = sqliteTable(
  'efile_replies',
  {
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    idempotencyKey: str('idempotency_key').notNull(),
    threadId: ref('thread_id')
      .notNull()
      .references(() => threads.id, { onDelete: 'cascade' }),
    messageId: ref('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    createdAt: time('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.officeId, t.idempotencyKey] })],
)
