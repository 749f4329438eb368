/** A rendered email: subject and plain text (no HTML, so nothing can hide a link target). */
export type MailText = { subject: string; text: string }

/** The identity emails; one implementation per language, same keys. */
export type IdentityMails = {
  confirmEmail(p: { link: string; hours: number }): MailText
  registrationAttempt(p: { loginUrl: string }): MailText
  passwordReset(p: { link: string; token: string; minutes: number }): MailText
  passwordChanged(p: { reason: 'change' | 'reset' }): MailText
}

/** The content-free notifications: how many new items, a link, never subject, text, office or file names. */
export type NotifyMails = {
  newMail(p: { count: number; notices: number; link: string }): MailText
  /** The SMS for a new appointment message: as content-free as the email. */
  appointmentSms(p: { link: string }): string
}
