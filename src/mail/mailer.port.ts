/** One outgoing email; the body never reaches the logs. */
export type OutgoingMail = {
  to: string
  subject: string
  text: string
  html?: string
  headers?: Record<string, string>
  /** Reply-To address (a signed reply token for deliveries, issue 6). */
  replyTo?: string
  /** Our own Message-ID ("<id@domain>"), so a retry sends the same one and answers find their thread. */
  messageId?: string
  attachments?: { filename: string; content: Buffer; contentType: string }[]
}

/** Sends mail through the configured transport (SMTP, or .eml files in the embedded default). */
export type Mailer = {
  /** Hands one message to the transport and resolves with its Message-ID once it is accepted. */
  send(mail: OutgoingMail): Promise<{ messageId: string }>
}
