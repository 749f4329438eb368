import { errorFactory } from '../../errors.ts'

/** Errors of the second factor; details are German first, then English. */
export const mfaErrors = errorFactory('mfa', {
  invalid_code: { status: 401, title: 'Unauthorized' },
  code_reused: { status: 401, title: 'Unauthorized' },
  passkey_failed: { status: 401, title: 'Unauthorized' },
  registration_failed: { status: 400, title: 'Bad Request' },
  wrong_password: { status: 401, title: 'Unauthorized' },
  password_required: { status: 403, title: 'Forbidden' },
  totp_exists: { status: 409, title: 'Conflict' },
  totp_not_pending: { status: 409, title: 'Conflict' },
  totp_not_set_up: { status: 409, title: 'Conflict' },
  no_passkeys: { status: 409, title: 'Conflict' },
  no_challenge: { status: 409, title: 'Conflict' },
  no_factor: { status: 409, title: 'Conflict' },
  last_factor: { status: 409, title: 'Conflict' },
  passkey_exists: { status: 409, title: 'Conflict' },
  passkey_not_found: { status: 404, title: 'Not Found' },
})

export const texts = {
  invalidCode: 'Der Code ist falsch. / The code is wrong.',
  codeReused:
    'Dieser Code wurde schon benutzt; bitte warten Sie auf den nächsten. / This code was already used; please wait for the next one.',
  passkeyFailed: 'Der Passkey konnte nicht geprüft werden. / The passkey could not be verified.',
  registrationFailed: 'Der Passkey konnte nicht registriert werden. / The passkey could not be registered.',
  wrongPassword: 'Das Passwort ist falsch. / The password is wrong.',
  passwordRequired:
    'Bitte bestätigen Sie die Änderung mit Ihrem aktuellen Passwort. / Please confirm the change with your current password.',
  totpExists: 'Eine Authenticator-App ist bereits eingerichtet. / An authenticator app is already set up.',
  totpNotPending:
    'Es gibt keine begonnene Einrichtung einer Authenticator-App. / No authenticator app setup is in progress.',
  totpNotSetUp: 'Es ist keine Authenticator-App eingerichtet. / No authenticator app is set up.',
  noPasskeys: 'Es ist kein Passkey eingerichtet. / No passkey is set up.',
  noChallenge:
    'Die Passkey-Anfrage ist abgelaufen; bitte neu beginnen. / The passkey request expired; please start again.',
  noFactor: 'Es ist noch kein zweiter Faktor eingerichtet. / No second factor is set up yet.',
  lastFactor:
    'Der letzte zweite Faktor kann nicht entfernt werden; richten Sie zuerst einen anderen ein. / The last second factor cannot be removed; set up another one first.',
  passkeyExists: 'Dieser Passkey ist bereits registriert. / This passkey is already registered.',
  passkeyNotFound: 'Diesen Passkey gibt es nicht. / There is no such passkey.',
} as const
