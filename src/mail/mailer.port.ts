/** One outgoing email; the body never reaches the logs. */
export type OutgoingMail = {
  to: string
  subject: string
  text: string
  html?: string
  headers?: Record<string, string>
}

/** Sends mail through the configured transport (SMTP, or .eml files in the embedded default). */
export type Mailer = {
  /** Hands one message to the transport and resolves with its Message-ID once it is accepted. */
  send(mail: OutgoingMail): Promise<{ messageId: string }>
}
