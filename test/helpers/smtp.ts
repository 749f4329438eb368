import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

/** One message as the SMTP server received it, with the few parsed parts tests look at. */
export type CapturedMail = {
  /** RCPT TO addresses of the SMTP envelope. */
  to: string[]
  from: string
  raw: string
  headers: Record<string, string>
  subject: string
  /** The decoded text/plain body. */
  text: string
}

export type SmtpCapture = {
  /** smtp://127.0.0.1:<port> for SMTP_URL. */
  url: string
  messages: CapturedMail[]
  /** Resolves with the first message (received or yet to come) that matches, or rejects after timeoutMs. */
  waitFor(match: (m: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>
  close(): Promise<void>
}

/**
 * A real SMTP server on 127.0.0.1 (no TLS, no auth) that keeps every message it accepts; on the
 * given port (default: any free one), and refusing every recipient with 550 when rejectRecipients is set.
 */
export async function startSmtpCapture(
  opts: { port?: number; rejectRecipients?: boolean } = {},
): Promise<SmtpCapture> {
  const messages: CapturedMail[] = []
  const waiters = new Set<() => void>()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (opts.rejectRecipients)
        return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }))
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const envelope = session.envelope
        messages.push({
          ...parseMessage(raw),
          raw,
          to: envelope.rcptTo.map((r) => r.address),
          from: envelope.mailFrom ? envelope.mailFrom.address : '',
        })
        for (const wake of waiters) wake()
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match)
          if (!found) return false
          waiters.delete(check)
          clearTimeout(timer)
          resolve(found)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching mail within ${timeoutMs} ms (${messages.length} received)`))
        }, timeoutMs)
        if (!check()) waiters.add(check)
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Enough MIME for the mails Postkorb writes: headers, RFC 2047 subjects, QP/base64, multipart. */
export function parseMessage(raw: string): {
  headers: Record<string, string>
  subject: string
  text: string
} {
  const { headers, body } = splitPart(raw)
  return { headers, subject: decodeWords(headers.subject ?? ''), text: textOf(headers, body) }
}

function splitPart(raw: string) {
  const normalised = raw.replace(/\r\n/g, '\n')
  const end = normalised.indexOf('\n\n')
  const head = end === -1 ? normalised : normalised.slice(0, end)
  const body = end === -1 ? '' : normalised.slice(end + 2)
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers, body }
}

function textOf(headers: Record<string, string>, body: string): string {
  const type = headers['content-type'] ?? 'text/plain'
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1]
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break
      const inner = splitPart(part.replace(/^\n/, ''))
      const text = textOf(inner.headers, inner.body)
      if (text) return text
    }
    return ''
  }
  if (!type.toLowerCase().startsWith('text/plain')) return ''
  return decodeBody(body, headers['content-transfer-encoding'])
}

function decodeBody(body: string, encoding = '7bit'): string {
  const enc = encoding.toLowerCase()
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  if (enc === 'quoted-printable') {
    const soft = body.replace(/=\n/g, '')
    const bytes: number[] = []
    for (let i = 0; i < soft.length; i++) {
      const hex = soft.slice(i + 1, i + 3)
      if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
        bytes.push(Number.parseInt(hex, 16))
        i += 2
      } else bytes.push(...Buffer.from(soft[i] ?? '', 'utf8'))
    }
    return Buffer.from(bytes).toString('utf8')
  }
  return body
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (_, _charset: string, kind: string, data: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeBody(data.replace(/_/g, ' '), 'quoted-printable'),
    )
}
