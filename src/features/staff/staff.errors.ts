import { errorFactory } from '../../errors.ts'

export const staffErrors = errorFactory('staff', {
  staff_not_found: { status: 404, title: 'Not Found' },
  token_not_found: { status: 404, title: 'Not Found' },
  office_not_found: { status: 404, title: 'Not Found' },
  role_mismatch: { status: 422, title: 'Unprocessable Content' },
  staff_disabled: { status: 409, title: 'Conflict' },
})
