import { index, pgTable, uniqueIndex } from 'drizzle-orm/pg-core'
import { bytes, id, int, json, ref, seq, str, time } from './columns.ts'
import { citizens, offices, staff } from './schema.ts'

// Identity tables; identical names in sqlite/schema.identity.ts (checked by the parity test).

export const emailTokens = pgTable(
  'email_tokens',
  {
    id: id().primaryKey(),
    citizenId: ref('citizen_id')
      .notNull()
      .references(() => citizens.id, { onDelete: 'cascade' }),
    purpose: str('purpose').notNull(),
    tokenHash: bytes('token_hash').notNull(),
    expiresAt: time('expires_at').notNull(),
    usedAt: time('used_at'),
    createdAt: time('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('email_tokens_hash_uq').on(t.tokenHash),
    index('email_tokens_citizen_idx').on(t.citizenId),
  ],
)

export const totpFactors = pgTable('totp_factors', {
  citizenId: ref('citizen_id')
    .primaryKey()
    .references(() => citizens.id, { onDelete: 'cascade' }),
  secretEnc: bytes('secret_enc').notNull(),
  confirmedAt: time('confirmed_at'),
  lastUsedStep: int('last_used_step').notNull(),
  createdAt: time('created_at').notNull(),
})

export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: id().primaryKey(),
    citizenId: ref('citizen_id')
      .notNull()
      .references(() => citizens.id, { onDelete: 'cascade' }),
    codeHash: bytes('code_hash').notNull(),
    usedAt: time('used_at'),
    createdAt: time('created_at').notNull(),
  },
  (t) => [index('recovery_codes_citizen_idx').on(t.citizenId)],
)

export const passkeys = pgTable(
  'passkeys',
  {
    id: id().primaryKey(),
    citizenId: ref('citizen_id')
      .notNull()
      .references(() => citizens.id, { onDelete: 'cascade' }),
    publicKey: bytes('public_key').notNull(),
    // The WebAuthn signature counter is an unsigned 32-bit value: it does not fit an integer column.
    counter: seq('counter').notNull(),
    transports: json<string[]>('transports').notNull(),
    createdAt: time('created_at').notNull(),
    lastUsedAt: time('last_used_at'),
  },
  (t) => [index('passkeys_citizen_idx').on(t.citizenId)],
)

export const activationCodes = pgTable(
  'activation_codes',
  {
    id: id().primaryKey(),
    officeId: ref('office_id')
      .notNull()
      .references(() => offices.id),
    customerNumber: str('customer_number').notNull(),
    codeHash: bytes('code_hash').notNull(),
    expiresAt: time('expires_at').notNull(),
    failedAttempts: int('failed_attempts').notNull(),
    voidedAt: time('voided_at'),
    usedAt: time('used_at'),
    usedByCitizenId: ref('used_by_citizen_id'),
    createdByStaffId: ref('created_by_staff_id').references(() => staff.id),
    createdAt: time('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('activation_codes_hash_uq').on(t.codeHash),
    index('activation_codes_customer_idx').on(t.officeId, t.customerNumber),
  ],
)

export const rateLimits = pgTable('rate_limits', {
  key: str('key').primaryKey(),
  windowStart: time('window_start').notNull(),
  count: int('count').notNull(),
})
