import { buffer } from 'node:stream/consumers'
import { renderMessagePdf } from '../../../templates/pdf/thread.ts'
import type { Deps } from '../../deps.ts'
import { collectPdf } from '../../pdf/document.ts'
import type { ScanState } from '../../store/attachments.types.ts'
import type { Thread } from '../../store/postbox.port.ts'
import type { RoutedMessage } from '../../store/routing.port.ts'
import type { Citizen, Office } from '../../store/store.types.ts'
import { keysOf, openAttachmentName, openBody, openSubject } from '../postbox/postbox.crypto.ts'
import { categoryLabels } from '../postbox/postbox.pdf.ts'

type ContentDeps = Pick<Deps, 'store' | 'keyring' | 'blobs' | 'clock'>

export type CleanFile = { id: string; name: string; type: string; size: number; read(): Promise<Buffer> }

/** A routed message as the office receives it, decrypted in memory for one delivery attempt only. */
export type DeliveryContent = {
  message: RoutedMessage
  thread: Thread
  citizen: Citizen
  office: Office
  categoryLabel: string
  subject: string
  body: string
  pdf: Buffer
  /** Only files the upload check passed as clean are delivered. */
  clean: CleanFile[]
  /** Files not delivered, named in a note: infected, wrong type, or unscanned. */
  refused: { name: string; state: ScanState }[]
}

/** Loads and decrypts one message for delivery; null when the message or its citizen is gone. */
export async function loadDeliveryContent(
  deps: ContentDeps,
  messageId: string,
): Promise<DeliveryContent | null> {
  const message = await deps.store.routing.getMessage(messageId)
  if (!message) return null
  const [thread, citizen, office] = await Promise.all([
    deps.store.postbox.getThread(message.citizenId, message.threadId),
    deps.store.citizens.get(message.citizenId),
    deps.store.offices.get(message.officeId),
  ])
  if (!thread || !citizen || !office) return null
  const keys = keysOf(deps, citizen)
  const attachments = await deps.store.attachments.listForMessage(citizen.id, message.id)
  const named = attachments.map((a) => ({ a, name: openAttachmentName(keys, a.id, a.nameEnc) }))
  const subject = openSubject(keys, thread.id, thread.subjectEnc)
  const body = openBody(keys, message.id, message.bodyEnc)
  // Office staff read German first; the PDF says the same as the mail and the e-file envelope.
  const categoryLabel = (categoryLabels.de as Record<string, string>)[thread.category] ?? thread.category
  const pdf = await collectPdf(
    renderMessagePdf({
      office: { name: office.name, addressLines: [] },
      citizen: { customerNumber: citizen.customerNumber ?? '' },
      thread: { reference: thread.reference, categoryLabel, subject },
      generatedAt: message.sentAt ?? message.createdAt,
      language: 'de',
      message: {
        direction: message.direction,
        sentAt: message.sentAt ?? message.createdAt,
        body,
        attachments: named.map(({ a, name }) => ({ name, size: a.size, state: a.scanState })),
      },
    }),
  )
  return {
    message,
    thread,
    citizen,
    office,
    categoryLabel,
    subject,
    body,
    pdf,
    clean: named
      .filter(({ a }) => a.scanState === 'clean')
      .map(({ a, name }) => ({
        id: a.id,
        name,
        type: a.detectedType ?? a.declaredType,
        size: a.size,
        read: () => buffer(deps.blobs.get(a.blobKey, { dek: keys.dek, blobId: a.id })),
      })),
    refused: named
      .filter(({ a }) => a.scanState !== 'clean')
      .map(({ a, name }) => ({ name, state: a.scanState })),
  }
}

/** The note on refused files, in German and English, for the mail text and the e-file envelope. */
export function refusedNote(refused: DeliveryContent['refused']): string {
  if (refused.length === 0) return ''
  const lines = refused.map((r) => `- ${r.name} (${r.state})`)
  return `Nicht übermittelte Dateien / Files not delivered:\n${lines.join('\n')}\n`
}
