import { errorFactory } from '../../errors.ts'

/** Errors of delivery administration; details are German first, then English. */
export const deliveryErrors = errorFactory('delivery', {
  not_found: { status: 404, title: 'Not Found' },
  not_failed: { status: 409, title: 'Conflict' },
})

export const texts = {
  notFound: 'Diese Zustellung gibt es nicht. / There is no such delivery.',
  notFailed: (state: string) =>
    `Nur fehlgeschlagene Zustellungen werden wiederholt (Zustand: ${state}). / Only failed deliveries are replayed (state: ${state}).`,
} as const
