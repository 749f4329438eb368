import { renderMessagePdf, renderThreadPdf } from '../../../templates/pdf/thread.ts'
import type { PdfMessage, ThreadPdfView } from '../../../templates/pdf/types.ts'
import type { Deps } from '../../deps.ts'
import { isId } from '../../ids.ts'
import { collectPdf } from '../../pdf/document.ts'
import type { Attachment } from '../../store/attachments.types.ts'
import type { Message, Thread } from '../../store/postbox.port.ts'
import type { Citizen } from '../../store/store.types.ts'
import { type CitizenKeys, keysOf, openAttachmentName, openBody, openSubject } from './postbox.crypto.ts'
import { postboxErrors, texts } from './postbox.errors.ts'
import type { Category } from './postbox.schemas.ts'

/** Category names in both languages (also used by deliveries to the office). */
export const categoryLabels: Record<'de' | 'en', Record<Category, string>> = {
  de: {
    general: 'Allgemeine Nachricht',
    change_notice: 'Veränderungsmitteilung',
    continued_benefits: 'Weiterbewilligungsantrag',
    evidence: 'Nachweise',
    appointment: 'Termin',
    job_application: 'Bewerbung',
    objection: 'Widerspruch',
  },
  en: {
    general: 'General message',
    change_notice: 'Change notice',
    continued_benefits: 'Continued-benefit application',
    evidence: 'Evidence',
    appointment: 'Appointment',
    job_application: 'Job application',
    objection: 'Objection',
  },
}

type PdfDeps = Pick<Deps, 'store' | 'keyring' | 'clock'>
export type PdfFile = { bytes: Buffer; fileName: string }

/** The whole thread (drafts left out) as a PDF; the export is audit-logged with ids only. */
export async function threadPdf(deps: PdfDeps, citizen: Citizen, threadId: string): Promise<PdfFile> {
  const thread = isId(threadId) ? await deps.store.postbox.getThread(citizen.id, threadId) : null
  if (!thread) throw postboxErrors.thread_not_found(texts.threadNotFound)
  const messages = (await deps.store.postbox.listThreadMessages(citizen.id, thread.id)).filter(
    (m) => m.state !== 'draft',
  )
  const view = await header(deps, citizen, thread)
  const pdfMessages = await Promise.all(messages.map((m) => pdfMessage(deps, citizen, view.keys, m)))
  const bytes = await collectPdf(renderThreadPdf({ ...view.header, messages: pdfMessages }))
  await audit(deps, citizen, 'thread', thread.id, thread.officeId)
  return { bytes, fileName: `Postkorb-${thread.reference}.pdf` }
}

/** One message as a PDF with the thread's header; audit-logged with ids only. */
export async function messagePdf(deps: PdfDeps, citizen: Citizen, messageId: string): Promise<PdfFile> {
  const message = isId(messageId) ? await deps.store.postbox.getMessage(citizen.id, messageId) : null
  const thread = message ? await deps.store.postbox.getThread(citizen.id, message.threadId) : null
  if (!message || !thread) throw postboxErrors.message_not_found(texts.messageNotFound)
  const view = await header(deps, citizen, thread)
  const bytes = await collectPdf(
    renderMessagePdf({ ...view.header, message: await pdfMessage(deps, citizen, view.keys, message) }),
  )
  await audit(deps, citizen, 'message', message.id, message.officeId)
  return { bytes, fileName: `Postkorb-${thread.reference}-${message.id.slice(0, 8)}.pdf` }
}

async function header(deps: PdfDeps, citizen: Citizen, thread: Thread) {
  const keys = keysOf(deps, citizen)
  const office = await deps.store.offices.get(thread.officeId)
  const language = citizen.language
  const labels = categoryLabels[language] as Record<string, string>
  const header: Omit<ThreadPdfView, 'messages'> = {
    office: { name: office?.name ?? thread.officeId, addressLines: [] },
    citizen: { customerNumber: citizen.customerNumber ?? '' },
    thread: {
      reference: thread.reference,
      categoryLabel: labels[thread.category] ?? thread.category,
      subject: openSubject(keys, thread.id, thread.subjectEnc),
    },
    generatedAt: deps.clock(),
    language,
  }
  return { keys, header }
}

async function pdfMessage(
  deps: PdfDeps,
  citizen: Citizen,
  keys: CitizenKeys,
  m: Message,
): Promise<PdfMessage> {
  const attachments: Attachment[] = await deps.store.attachments.listForMessage(citizen.id, m.id)
  return {
    direction: m.direction,
    sentAt: m.sentAt ?? m.createdAt,
    body: openBody(keys, m.id, m.bodyEnc),
    attachments: attachments.map((a) => ({
      name: openAttachmentName(keys, a.id, a.nameEnc),
      size: a.size,
      state: a.scanState,
    })),
  }
}

const audit = (deps: PdfDeps, citizen: Citizen, kind: string, id: string, officeId: string) =>
  deps.store.audit.append({
    actorKind: 'citizen',
    actorId: citizen.id,
    action: 'postbox.export_pdf',
    subjectKind: kind,
    subjectId: id,
    officeId,
  })
