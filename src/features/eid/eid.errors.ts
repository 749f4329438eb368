import { AppError, errorFactory } from '../../errors.ts'

export const eidErrors = errorFactory('eid', {
  assertion_invalid: { status: 400, title: 'Bad Request' },
})

/** A 503 the client may read (5xx details are hidden unless exposed): eID is switched off here. */
export const eidUnavailable = () =>
  new AppError({
    code: 'eid.unavailable',
    status: 503,
    title: 'Service Unavailable',
    detail: 'eID ist nicht verfügbar. / eID is not available.',
    expose: true,
    retryable: false,
  })
