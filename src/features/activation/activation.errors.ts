import { errorFactory } from '../../errors.ts'

export const activationErrors = errorFactory('activation', {
  code_invalid: { status: 400, title: 'Bad Request' },
  code_expired: { status: 400, title: 'Bad Request' },
  customer_taken: { status: 409, title: 'Conflict' },
  already_linked: { status: 409, title: 'Conflict' },
  not_activated: { status: 409, title: 'Conflict' },
  invalid_expiry: { status: 422, title: 'Unprocessable Content' },
})

/**
 * One answer for an unknown customer number, a wrong code and a code that is no longer open
 * (used, replaced, or void after too many wrong entries), so the endpoint reveals nothing.
 */
export const invalidCode = () =>
  activationErrors.code_invalid(
    'Kundennummer oder Freischaltcode stimmen nicht, oder der Code gilt nicht mehr (nach zu vielen Fehleingaben ist er gesperrt). ' +
      'Bitte prüfen Sie Ihre Eingabe oder fordern Sie bei Ihrem Jobcenter einen neuen Code an. / ' +
      'The customer number or activation code is wrong, or the code is no longer valid (it is void after too many wrong entries). ' +
      'Please check your input or ask your office for a new code.',
  )
