import { errorFactory } from '../../errors.ts'

export const keysErrors = errorFactory('keys', {
  key_unknown: { status: 404, title: 'Not Found' },
  key_active: { status: 409, title: 'Conflict' },
  key_in_use: { status: 409, title: 'Conflict' },
  key_missing: { status: 409, title: 'Conflict' },
  bad_option: { status: 422, title: 'Unprocessable Content' },
})
