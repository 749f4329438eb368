import { errorFactory } from '../../errors.ts'

export const profileErrors = errorFactory('profile', {
  consent_required: { status: 422, title: 'Unprocessable Content' },
  phone_required: { status: 422, title: 'Unprocessable Content' },
  wrong_password: { status: 403, title: 'Forbidden' },
  gone: { status: 404, title: 'Not Found' },
})
