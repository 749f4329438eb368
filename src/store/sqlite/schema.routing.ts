import { index, sqliteTable, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { bool, id, ref, str, time } from './columns.ts'
import { deliveries, messages, offices, threads } from './schema.ts'

// Service-center tables; identical names in pg/schema.routing.ts (checked by the parity test).

export const serviceCenterItems = sqliteTable(
  'service_center_items',
  {
    id: id().primaryKey(),
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    deliveryId: ref('delivery_id')
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    messageId: ref('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    threadId: ref('thread_id')
      .notNull()
      .references(() => threads.id, { onDelete: 'cascade' }),
    queue: str('queue').notNull(),
    state: str('state').notNull(),
    claimedBy: ref('claimed_by'),
    leaseUntil: time('lease_until'),
    dueAt: time('due_at').notNull(),
    overdue: bool('overdue').notNull(),
    createdAt: time('created_at').notNull(),
    updatedAt: time('updated_at').notNull(),
    closedAt: time('closed_at'),
  },
  (t) => [
    uniqueIndex('service_center_items_delivery_uq').on(t.deliveryId),
    index('service_center_items_queue_idx').on(t.officeId, t.queue, t.state, t.dueAt),
    index('service_center_items_due_idx').on(t.state, t.dueAt),
  ],
)
