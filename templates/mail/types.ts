/** A rendered email: subject and plain text (no HTML, so nothing can hide a link target). */
export type MailText = { subject: string; text: string }

/** The identity emails; one implementation per language, same keys. */
export type IdentityMails = {
  confirmEmail(p: { link: string; hours: number }): MailText
  registrationAttempt(p: { loginUrl: string }): MailText
  passwordReset(p: { link: string; token: string; minutes: number }): MailText
  passwordChanged(p: { reason: 'change' | 'reset' }): MailText
}
