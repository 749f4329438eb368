import type { IdentityMails } from '../types.ts'

const footer =
  '\n\n-- \nIhr Postkorb-Team\nDiese E-Mail wurde automatisch erstellt; bitte antworten Sie nicht darauf.\n'

export const identityMailsDe: IdentityMails = {
  confirmEmail: ({ link, hours }) => ({
    subject: 'Bitte bestätigen Sie Ihre E-Mail-Adresse',
    text: `Guten Tag,\n\nSie haben sich beim Postkorb Ihres Jobcenters registriert. Bitte bestätigen Sie Ihre E-Mail-Adresse mit diesem Link (gültig für ${hours} Stunden, nur einmal nutzbar):\n\n${link}\n\nFalls Sie sich nicht registriert haben, können Sie diese E-Mail ignorieren.${footer}`,
  }),
  registrationAttempt: ({ loginUrl }) => ({
    subject: 'Registrierung mit Ihrer E-Mail-Adresse',
    text: `Guten Tag,\n\njemand hat versucht, sich mit Ihrer E-Mail-Adresse beim Postkorb zu registrieren. Für diese Adresse gibt es bereits ein Konto.\n\nWaren Sie das? Dann melden Sie sich hier an: ${loginUrl}\nWenn Sie Ihr Passwort vergessen haben, können Sie es über „Passwort vergessen“ zurücksetzen.\n\nWaren Sie das nicht? Dann müssen Sie nichts tun; Ihr Konto wurde nicht verändert.${footer}`,
  }),
  passwordReset: ({ link, token, minutes }) => ({
    subject: 'Passwort zurücksetzen',
    text: `Guten Tag,\n\nfür Ihr Postkorb-Konto wurde das Zurücksetzen des Passworts angefordert. Mit diesem Link können Sie ein neues Passwort festlegen (gültig für ${minutes} Minuten, nur einmal nutzbar):\n\n${link}\n\nCode für Apps: ${token}\n\nNach dem Zurücksetzen brauchen Sie weiterhin Ihren zweiten Faktor (Authenticator-App oder Passkey).\nFalls Sie das nicht angefordert haben, ignorieren Sie diese E-Mail; Ihr Passwort bleibt unverändert.${footer}`,
  }),
  passwordChanged: ({ reason }) => ({
    subject: 'Ihr Passwort wurde geändert',
    text: `Guten Tag,\n\ndas Passwort Ihres Postkorb-Kontos wurde soeben ${reason === 'reset' ? 'über den E-Mail-Link zurückgesetzt' : 'geändert'}. Alle anderen Anmeldungen wurden beendet.\n\nWaren Sie das nicht? Dann setzen Sie Ihr Passwort sofort zurück und wenden Sie sich an Ihr Jobcenter.${footer}`,
  }),
}
