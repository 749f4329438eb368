import { randomBytes } from 'node:crypto'
import type { Deps } from '../../deps.ts'
import type { Logger } from '../../logger.ts'
import type { Delivery } from '../../store/routing.port.ts'
import { type DeliveryContent, loadDeliveryContent } from './delivery.content.ts'
import { type AttemptOutcome, runDelivery } from './delivery.service.ts'
import { efileSecret, signEfileRequest } from './efile-signature.ts'

type EfileDeps = Pick<Deps, 'store' | 'queue' | 'clock' | 'config' | 'keyring' | 'blobs'>

const MAX_RESPONSE_NOTE = 300

/**
 * Job deliver.efile: a signed multipart POST to the office's e-file endpoint (JSON envelope, the PDF
 * rendering, the clean files), `Idempotency-Key` = delivery id so a repeated attempt is stored once.
 * 2xx delivered; 408, 429, 5xx, timeouts and network errors retry; any other answer fails for good.
 */
export async function deliverToEfile(
  deps: EfileDeps,
  deliveryId: string,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  await runDelivery(deps, deliveryId, 'efile', log, (delivery) => post(deps, delivery, signal))
}

async function post(deps: EfileDeps, delivery: Delivery, signal: AbortSignal): Promise<AttemptOutcome> {
  const content = await loadDeliveryContent(deps, delivery.messageId)
  if (!content) return { ok: false, permanent: true, error: 'message gone' }
  const endpoint = content.office.efileEndpoint
  if (!endpoint) return { ok: false, permanent: true, error: 'no e-file endpoint configured for the office' }
  const { body, contentType } = await multipart(delivery, content)
  const now = deps.clock()
  let res: Response
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: {
        'Content-Type': contentType,
        'Idempotency-Key': delivery.id,
        'Postkorb-Signature': signEfileRequest(efileSecret(deps.keyring, content.office.id), body, now),
        'User-Agent': 'Postkorb',
      },
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(deps.config.delivery.efileTimeoutMs)]),
    })
  } catch (err) {
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : ''
    return { ok: false, permanent: false, error: `e-file unreachable: ${cause}` }
  }
  const text = await res.text().catch(() => '')
  if (res.ok) return { ok: true, externalId: documentId(text, res) }
  const note = `HTTP ${res.status}: ${text.slice(0, MAX_RESPONSE_NOTE)}`
  const retry = res.status === 408 || res.status === 429 || res.status >= 500
  return { ok: false, permanent: !retry, error: note }
}

function documentId(text: string, res: Response): string | null {
  try {
    const parsed = JSON.parse(text) as { documentId?: unknown; id?: unknown }
    const id = parsed.documentId ?? parsed.id
    if (typeof id === 'string' || typeof id === 'number') return String(id).slice(0, 200)
  } catch {
    // not JSON: fall back to the Location header
  }
  return res.headers.get('location')?.slice(0, 200) ?? null
}

/** The envelope the e-file system files the message by; names of files, never their contents. */
export function envelopeOf(delivery: Delivery, c: DeliveryContent) {
  return {
    deliveryId: delivery.id,
    messageId: c.message.id,
    threadId: c.thread.id,
    threadReference: c.thread.reference,
    office: c.office.code,
    customerNumber: c.citizen.customerNumber,
    category: c.thread.category,
    kind: c.message.kind,
    subject: c.subject,
    createdAt: c.message.createdAt.toISOString(),
    sentAt: (c.message.sentAt ?? c.message.createdAt).toISOString(),
    rule: c.message.routeRuleId,
    document: 'message.pdf',
    attachments: c.clean.map((f, i) => ({
      part: `attachment-${i + 1}`,
      name: f.name,
      type: f.type,
      size: f.size,
    })),
    refused: c.refused,
  }
}

async function multipart(delivery: Delivery, c: DeliveryContent) {
  const boundary = `postkorb-${randomBytes(12).toString('hex')}`
  const parts: Buffer[] = []
  const part = (headers: string[], data: Buffer) => {
    parts.push(Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`), data, Buffer.from('\r\n'))
  }
  part(
    ['Content-Disposition: form-data; name="envelope"', 'Content-Type: application/json; charset=utf-8'],
    Buffer.from(JSON.stringify(envelopeOf(delivery, c))),
  )
  part(
    [
      'Content-Disposition: form-data; name="document"; filename="message.pdf"',
      'Content-Type: application/pdf',
    ],
    c.pdf,
  )
  for (const [i, f] of c.clean.entries()) {
    const name = `attachment-${i + 1}`
    part(
      [
        `Content-Disposition: form-data; name="${name}"; filename="${name}"`,
        `Content-Type: ${safeType(f.type)}`,
      ],
      await f.read(),
    )
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` }
}

const safeType = (t: string) => (/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i.test(t) ? t : 'application/octet-stream')
