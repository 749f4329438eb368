import type { Citizen, NewCitizen, SecurityLevel } from './store.types.ts'

// Dialect-neutral row helpers shared by both adapters.

/** The patch without undefined keys: an absent or undefined key means "leave as is" in both adapters. */
export function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Security levels of a citizen whose profile an office has activated. */
export const ACTIVATED: SecurityLevel[] = ['code_verified', 'eid']

/** The full citizen row for an insert: optional fields get their defaults, so the row equals a read. */
export function citizenRow(c: NewCitizen): Citizen {
  return {
    ...c,
    emailConfirmedAt: c.emailConfirmedAt ?? null,
    phoneEnc: c.phoneEnc ?? null,
    smsAppointments: c.smsAppointments ?? false,
    consentVersion: c.consentVersion ?? null,
    passwordChangedAt: c.passwordChangedAt ?? null,
    onlineCommChangedAt: null,
    createdAt: new Date(),
    deletedAt: null,
  }
}
