import { blob, integer, text } from 'drizzle-orm/sqlite-core'

/** SQLite column kit; pg/columns.ts makes the same names and meanings for PostgreSQL. */
export const id = (name = 'id') => text(name)
export const ref = (name: string) => text(name)
export const str = (name: string) => text(name)
export const int = (name: string) => integer(name, { mode: 'number' })
export const bool = (name: string) => integer(name, { mode: 'boolean' })
export const time = (name: string) => integer(name, { mode: 'timestamp_ms' })
export const bytes = (name: string) => blob(name, { mode: 'buffer' })
export const json = <T>(name: string) => text(name, { mode: 'json' }).$type<T>()
