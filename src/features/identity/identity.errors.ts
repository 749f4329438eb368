import { errorFactory } from '../../errors.ts'
import type { PasswordIssue } from './password-policy.ts'

/** Errors of sign-in and sessions; details are German first, then English. */
export const authErrors = errorFactory('auth', {
  invalid_credentials: { status: 401, title: 'Unauthorized' },
  email_unconfirmed: { status: 403, title: 'Forbidden' },
})

/** Errors of accounts, passwords and email tokens. */
export const identityErrors = errorFactory('identity', {
  password_rejected: { status: 422, title: 'Unprocessable Content' },
  wrong_password: { status: 401, title: 'Unauthorized' },
  token_invalid: { status: 400, title: 'Bad Request' },
})

export const texts = {
  invalidCredentials:
    'E-Mail-Adresse oder Passwort ist falsch. / The email address or the password is wrong.',
  emailUnconfirmed:
    'Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse mit dem Link aus unserer E-Mail. / Please confirm your email address first with the link from our email.',
  passwordRejected: 'Das Passwort erfüllt die Regeln nicht. / The password does not meet the rules.',
  wrongPassword: 'Das aktuelle Passwort ist falsch. / The current password is wrong.',
  tokenInvalid:
    'Der Link ist ungültig, abgelaufen oder wurde schon benutzt. Bitte fordern Sie einen neuen an. / The link is invalid, has expired or was already used. Please request a new one.',
} as const

/** 422 naming every violated criterion, in the shape of the validation errors list. */
export const passwordRejected = (issues: PasswordIssue[]) =>
  identityErrors.password_rejected(texts.passwordRejected, {
    extra: {
      errors: issues.map((i) => ({
        path: i.path,
        code: i.code,
        message: `${i.de} / ${i.en}`,
        de: i.de,
        en: i.en,
      })),
    },
  })
