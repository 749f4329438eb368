import type { Deps } from '../../deps.ts'
import type { Logger } from '../../logger.ts'
import type { Delivery } from '../../store/routing.port.ts'
import { threadReplyAddress } from '../inbound/reply-token.ts'
import { type DeliveryContent, loadDeliveryContent, refusedNote } from './delivery.content.ts'
import { type AttemptOutcome, runDelivery } from './delivery.service.ts'

type EmailDeps = Pick<Deps, 'store' | 'queue' | 'clock' | 'config' | 'keyring' | 'blobs' | 'mailer'>

/**
 * Job deliver.email: the message to an office inbox with its PDF rendering and clean files, a signed
 * Reply-To for the thread and our own Message-ID (`<delivery id@domain>`: the same on every attempt),
 * stored as the delivery's external id so an answer's In-Reply-To finds the thread too.
 */
export async function deliverToEmail(deps: EmailDeps, deliveryId: string, log: Logger): Promise<void> {
  await runDelivery(deps, deliveryId, 'email', log, (delivery) => send(deps, delivery))
}

async function send(deps: EmailDeps, delivery: Delivery): Promise<AttemptOutcome> {
  const content = await loadDeliveryContent(deps, delivery.messageId)
  if (!content) return { ok: false, permanent: true, error: 'message gone' }
  const messageId = `<${delivery.id}@${mailDomain(deps.config.mail.from)}>`
  const files = await Promise.all(
    content.clean.map(async (f) => ({ filename: f.name, content: await f.read(), contentType: f.type })),
  )
  await deps.mailer.send({
    to: delivery.destination,
    subject: `[${content.thread.reference}] ${content.categoryLabel}`,
    text: mailText(content),
    replyTo: threadReplyAddress(deps, content.thread.id, deps.clock()),
    messageId,
    headers: { 'X-Postkorb-Thread': content.thread.reference },
    attachments: [
      {
        filename: `Postkorb-${content.thread.reference}.pdf`,
        content: content.pdf,
        contentType: 'application/pdf',
      },
      ...files,
    ],
  })
  return { ok: true, externalId: messageId }
}

function mailText(c: DeliveryContent): string {
  return [
    `Nachricht aus dem Postkorb / Message from the postbox`,
    `Vorgang / Reference: ${c.thread.reference}`,
    `Anliegen / Category: ${c.categoryLabel}`,
    `Kundennummer / Customer number: ${c.citizen.customerNumber ?? '-'}`,
    `Gesendet / Sent: ${(c.message.sentAt ?? c.message.createdAt).toISOString()}`,
    `Betreff / Subject: ${c.subject}`,
    '',
    c.body,
    '',
    refusedNote(c.refused),
    'Antworten Sie auf diese E-Mail, um der Person im Postkorb zu antworten. / Reply to this email to answer in the postbox.',
  ].join('\n')
}

const mailDomain = (from: string) => /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'postkorb.localhost'
