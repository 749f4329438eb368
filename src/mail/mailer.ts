import { randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import nodemailer from 'nodemailer'
import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { Mailer, OutgoingMail } from './mailer.port.ts'

/** SMTP when config.mail.smtpUrl is set, else .eml files in config.mail.outboxDir. */
export function createMailer(mail: Config['mail'], log: Logger): Mailer {
  const mailLog = log.child({ component: 'mail' })
  return mail.smtpUrl
    ? smtpMailer(mail.smtpUrl, mail.from, mailLog)
    : outboxMailer(mail.outboxDir, mail.from, mailLog)
}

const message = (from: string, m: OutgoingMail) => ({
  from,
  to: m.to,
  subject: m.subject,
  text: m.text,
  ...(m.html ? { html: m.html } : {}),
  ...(m.headers ? { headers: m.headers } : {}),
  ...(m.replyTo ? { replyTo: m.replyTo } : {}),
  ...(m.messageId ? { messageId: m.messageId } : {}),
  ...(m.attachments ? { attachments: m.attachments } : {}),
})

/** Production: one SMTP connection per message; the URL carries host, port, credentials and TLS mode. */
export function smtpMailer(smtpUrl: string, from: string, log: Logger): Mailer {
  const transport = nodemailer.createTransport(smtpUrl)
  return {
    async send(m) {
      const info = await transport.sendMail(message(from, m))
      log.info({ messageId: info.messageId }, 'mail sent')
      return { messageId: info.messageId }
    },
  }
}

/**
 * Embedded default: each message becomes an .eml file (mode 0600), written under a temporary
 * name and renamed so readers never see half a file. This is plaintext mail on local disk.
 */
export function outboxMailer(dir: string, from: string, log: Logger): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true })
  return {
    async send(m) {
      const info = await transport.sendMail(message(from, m))
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const name = `${new Date().toISOString().replaceAll(':', '-')}-${randomBytes(6).toString('hex')}.eml`
      const tmp = path.join(dir, `.${name}.tmp`)
      await writeFile(tmp, info.message as Buffer, { mode: 0o600, flag: 'wx' })
      await rename(tmp, path.join(dir, name))
      log.info({ messageId: info.messageId, file: name }, 'mail written to outbox')
      return { messageId: info.messageId }
    },
  }
}
