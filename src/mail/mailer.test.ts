import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startSmtpCapture } from '../../test/helpers/smtp.ts'
import { createLogger } from '../logger.ts'
import { createMailer } from './mailer.ts'

const lines: string[] = []
const log = createLogger('info', { write: (l: string) => void lines.push(l) })
const mail = {
  to: 'empfaenger@example.org',
  subject: 'Grüße aus Köln',
  text: 'Hallo – schön, dass Sie da sind.',
}

describe('mailer', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
    lines.length = 0
  })

  it('writes one complete .eml file per message, readable only by the owner, without SMTP_URL', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'postkorb-outbox-'))
    dirs.push(dir)
    const outbox = path.join(dir, 'outbox')
    const mailer = createMailer({ from: 'Postkorb <postkorb@localhost>', outboxDir: outbox }, log)
    const { messageId } = await mailer.send(mail)
    await mailer.send({ ...mail, subject: 'Zweite' })
    const files = readdirSync(outbox)
    expect(files).toHaveLength(2)
    for (const f of files) {
      expect(f).toMatch(/\.eml$/)
      expect(statSync(path.join(outbox, f)).mode & 0o777).toBe(0o600)
    }
    const all = files.map((f) => readFileSync(path.join(outbox, f), 'utf8')).join('\n')
    expect(all).toContain(`Message-ID: ${messageId}`)
    expect(all).toContain('To: empfaenger@example.org')
  })

  it('sends through SMTP when configured and logs the message id, never the recipient', async () => {
    const smtp = await startSmtpCapture()
    try {
      const mailer = createMailer(
        { smtpUrl: smtp.url, from: 'Postkorb <postkorb@localhost>', outboxDir: '/nonexistent' },
        log,
      )
      const { messageId } = await mailer.send({ ...mail, headers: { 'X-Postkorb-Kind': 'test' } })
      const got = await smtp.waitFor(() => true)
      expect(got.to).toEqual(['empfaenger@example.org'])
      expect(got.subject).toBe('Grüße aus Köln')
      expect(got.text.trim()).toBe('Hallo – schön, dass Sie da sind.')
      expect(got.headers['x-postkorb-kind']).toBe('test')
      expect(got.headers['message-id']).toBe(messageId)
      const logged = lines.join('\n')
      expect(logged).toContain(messageId)
      expect(logged).not.toContain('empfaenger')
    } finally {
      await smtp.close()
    }
  })
})
