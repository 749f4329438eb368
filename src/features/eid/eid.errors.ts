import { errorFactory } from '../../errors.ts'

export const eidErrors = errorFactory('eid', {
  unavailable: { status: 503, title: 'Service Unavailable', retryable: false },
  assertion_invalid: { status: 400, title: 'Bad Request' },
})

export const eidUnavailable = () => eidErrors.unavailable('eID ist nicht verfügbar. / eID is not available.')
