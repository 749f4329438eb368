import { bigint, boolean, customType, integer, jsonb, text, timestamp } from 'drizzle-orm/pg-core'

// drizzle 0.45 has no built-in bytea; node-postgres already reads bytea as a Buffer and writes Buffers as bytea.
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' })

/** PostgreSQL column kit; sqlite/columns.ts makes the same names and meanings for SQLite. */
export const id = (name = 'id') => text(name)
export const ref = (name: string) => text(name)
export const str = (name: string) => text(name)
export const int = (name: string) => integer(name)
export const seq = (name: string) => bigint(name, { mode: 'number' })
export const bool = (name: string) => boolean(name)
export const time = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
export const bytes = (name: string) => bytea(name)
export const json = <T>(name: string) => jsonb(name).$type<T>()
