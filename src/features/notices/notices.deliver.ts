import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { newBlobKey } from '../../blobs/blobs.port.ts'
import { indexTokens } from '../../crypto/blind-index.ts'
import { openForCitizen } from '../../crypto/citizen-keys.ts'
import type { Deps } from '../../deps.ts'
import type { FallbackReason, Notice } from '../../store/notices.types.ts'
import type { Message, Thread } from '../../store/postbox.port.ts'
import { keysOf, sealBody, sealSubject } from '../postbox/postbox.crypto.ts'
import { decideChannel } from './notices.channel.ts'
import { checkNoticeDocument, noticeAttachmentId, noticeFileName, readNoticePdf } from './notices.check.ts'
import { noticeKey, openNoticeField } from './notices.crypto.ts'
import { buildLetter } from './notices.letter.ts'
import { enqueueReceipt } from './notices.receipt.ts'
import type { NoticeText } from './notices.schemas.ts'

type DeliverDeps = Pick<
  Deps,
  'store' | 'queue' | 'blobs' | 'keyring' | 'scanner' | 'clock' | 'log' | 'config'
>

class AlreadyDone extends Error {}

/**
 * notice.deliver: check the document, decide the channel once (recording why), then place the
 * notice in the postbox (online) or queue its letter (postal, or a fallback after an online
 * attempt). Every step is idempotent: a job delivered twice changes nothing the second time.
 */
export async function deliverNotice(deps: DeliverDeps, noticeId: string, signal: AbortSignal): Promise<void> {
  let notice = await deps.store.notices.getForJob(noticeId)
  if (!notice || notice.state === 'refused') return
  const document = await checkNoticeDocument(deps, notice, signal)
  if (document !== 'clean') return refuse(deps, notice, document)
  if (!notice.channel) {
    const citizen = notice.citizenId ? await deps.store.citizens.get(notice.citizenId) : null
    const d = decideChannel(citizen, notice.digital)
    const decided = await deps.store.transaction(async (tx) => {
      const won = await tx.notices.decide(notice?.id ?? noticeId, {
        channel: d.channel,
        channelReason: d.reason,
        decision: d.decision,
        decidedAt: deps.clock(),
      })
      if (won)
        await tx.audit.append({
          actorKind: 'system',
          actorId: null,
          action: 'notice.channel_decided',
          subjectKind: 'notice',
          subjectId: noticeId,
          officeId: notice?.officeId ?? null,
          details: { channel: d.channel, reason: d.reason, consentVersion: d.decision.consentVersion },
        })
      return won
    })
    if (decided) deps.log.info({ noticeId, channel: d.channel, reason: d.reason }, 'notice channel decided')
  }
  notice = await deps.store.notices.getForJob(noticeId)
  if (!notice) return
  if (notice.channel === 'online') await placeOnline(deps, notice)
  if (notice.channel === 'postal') await queueLetter(deps, notice, 'postal')
  else if (notice.fallbackReason) await queueLetter(deps, notice, notice.fallbackReason)
}

async function refuse(deps: DeliverDeps, notice: Notice, document: string) {
  const changed = await deps.store.transaction(async (tx) => {
    const ok = await tx.notices.update(notice.id, { state: 'refused' }, ['received'])
    if (ok)
      await tx.audit.append({
        actorKind: 'system',
        actorId: null,
        action: 'notice.refused',
        subjectKind: 'notice',
        subjectId: notice.id,
        officeId: notice.officeId,
        details: { document },
      })
    if (ok) await enqueueReceipt(deps, tx, notice, 'refused')
    return ok
  })
  if (changed) deps.log.warn({ noticeId: notice.id, document }, 'notice refused: document failed the check')
}

/** Text for the postbox and the letter from the structured notice. */
export function noticeTextBody(text: NoticeText): string {
  return [text.salutation, ...text.paragraphs, text.closing].filter((s) => s).join('\n\n')
}

const PDF_BODY = {
  de: 'Ihr Bescheid liegt dieser Nachricht als PDF-Datei bei.',
  en: 'Your official notice is attached to this message as a PDF file.',
} as const

async function placeOnline(deps: DeliverDeps, notice: Notice): Promise<void> {
  if (notice.messageId || !notice.citizenId) return
  const citizen = await deps.store.citizens.get(notice.citizenId)
  if (!citizen) {
    deps.log.warn({ noticeId: notice.id }, 'notice not placed: the citizen is gone')
    return
  }
  const dek = noticeKey(deps.keyring, notice)
  const keys = keysOf(deps, citizen)
  const subject = openNoticeField(dek, notice.id, 'subject', notice.subjectEnc)
  const text = notice.textEnc
    ? (JSON.parse(openNoticeField(dek, notice.id, 'text', notice.textEnc)) as NoticeText)
    : null
  const now = deps.clock()
  const linked = notice.threadId ? await deps.store.postbox.getThread(citizen.id, notice.threadId) : null
  const thread: Thread = linked ?? {
    id: randomUUID(),
    citizenId: citizen.id,
    officeId: notice.officeId,
    category: 'notice',
    reference: notice.reference,
    subjectEnc: Buffer.alloc(0),
    createdAt: now,
    updatedAt: now,
  }
  if (!linked) thread.subjectEnc = sealSubject(keys, thread.id, subject)
  const messageId = randomUUID()
  const body = text ? noticeTextBody(text) : PDF_BODY[citizen.language]
  const message: Message = {
    id: messageId,
    threadId: thread.id,
    citizenId: citizen.id,
    officeId: notice.officeId,
    direction: 'office_to_citizen',
    kind: 'notice',
    state: 'provided',
    citizenFolder: 'inbox',
    bodyEnc: sealBody(keys, messageId, body),
    createdAt: now,
    sentAt: now,
    readAt: null,
    retrievedAt: null,
    trashedAt: null,
  }
  // The PDF passed the check as the citizen's own attachment; binding it releases it with the message.
  const attachmentId = notice.blobKey ? noticeAttachmentId(notice.id) : null
  const tokens = indexTokens(keys.index, [subject, body, ...(attachmentId ? [noticeFileName(notice)] : [])])
  try {
    await deps.store.transaction(async (tx) => {
      const placed = {
        messageId,
        threadId: thread.id,
        providedAt: now,
        state: 'provided' as const,
        notifyState: 'pending' as const,
      }
      if (!(await tx.notices.update(notice.id, placed, ['received']))) throw new AlreadyDone()
      if (linked) await tx.postbox.updateThread(citizen.id, thread.id, { updatedAt: now })
      else await tx.postbox.createThread(thread)
      await tx.postbox.insertMessage(message, tokens)
      if (attachmentId) {
        const checked = await tx.attachments.get(citizen.id, attachmentId)
        if (checked?.scanState !== 'clean' || checked.messageId !== null)
          throw new Error('notice attachment is not a clean, unbound file')
        await tx.attachments.bindToMessage(citizen.id, messageId, [attachmentId])
      }
      await tx.audit.append({
        actorKind: 'system',
        actorId: null,
        action: 'notice.provided',
        subjectKind: 'notice',
        subjectId: notice.id,
        officeId: notice.officeId,
        details: { messageId, threadId: thread.id },
      })
      await deps.queue.send('notify.citizen', { citizenId: citizen.id, messageId }, { tx })
      await enqueueReceipt(deps, tx, notice, 'provided')
    })
  } catch (err) {
    if (err instanceof AlreadyDone) return
    throw err
  }
  deps.log.info({ noticeId: notice.id, messageId }, 'notice provided in the postbox')
}

/** The recipient lines: the address the office sent with the notice, else the one in the citizen's profile. */
async function recipientOf(deps: DeliverDeps, notice: Notice, dek: Buffer): Promise<string[] | null> {
  if (notice.addressEnc)
    return JSON.parse(openNoticeField(dek, notice.id, 'address', notice.addressEnc)) as string[]
  if (!notice.citizenId) return null
  const citizen = await deps.store.citizens.get(notice.citizenId)
  const sealed = citizen ? await deps.store.postalAddresses.get(citizen.id) : null
  if (!citizen || !sealed) return null
  const key = keysOf(deps, citizen).dek
  return JSON.parse(
    openForCitizen(key, 'postal_addresses', citizen.id, 'address', sealed).toString('utf8'),
  ) as string[]
}

async function queueLetter(
  deps: DeliverDeps,
  notice: Notice,
  reason: 'postal' | FallbackReason,
): Promise<void> {
  if (await deps.store.printJobs.getByNotice(notice.id)) return
  const dek = noticeKey(deps.keyring, notice)
  const recipient = await recipientOf(deps, notice, dek)
  if (!recipient) {
    if (reason === 'postal')
      await deps.store.notices.update(notice.id, { state: 'address_missing' }, ['received'])
    deps.log.warn({ noticeId: notice.id, reason }, 'letter not queued: no postal address')
    return
  }
  const office = await deps.store.offices.get(notice.officeId)
  const officeName = office?.name ?? 'Jobcenter'
  const text = notice.textEnc
    ? (JSON.parse(openNoticeField(dek, notice.id, 'text', notice.textEnc)) as NoticeText)
    : null
  const now = deps.clock()
  const letter = await buildLetter(
    {
      returnAddress: deps.config.notices.returnAddress ?? officeName,
      recipient,
      reference: notice.reference,
      customerNumber: notice.customerNumber,
      noticeTypeLabel: notice.noticeType,
      date: now,
      subject: openNoticeField(dek, notice.id, 'subject', notice.subjectEnc),
      text,
      officeName,
    },
    notice.blobKey ? await readNoticePdf(deps, notice) : null,
  )
  const jobId = randomUUID()
  const blobKey = newBlobKey()
  await deps.blobs.put(blobKey, Readable.from([letter.pdf]), { dek, blobId: jobId })
  const created = await deps.store.transaction(async (tx) => {
    const ok = await tx.printJobs.create({
      id: jobId,
      noticeId: notice.id,
      officeId: notice.officeId,
      state: 'queued',
      reason,
      blobKey,
      pages: letter.pages,
      bytes: letter.pdf.length,
      exportBatch: null,
      createdAt: now,
      exportedAt: null,
      handedOverAt: null,
    })
    if (!ok) return false
    if (reason === 'postal')
      await tx.notices.update(notice.id, { state: 'printing' }, ['received', 'address_missing'])
    await tx.audit.append({
      actorKind: 'system',
      actorId: null,
      action: 'notice.letter_queued',
      subjectKind: 'notice',
      subjectId: notice.id,
      officeId: notice.officeId,
      details: { printJobId: jobId, reason, pages: letter.pages },
    })
    await enqueueReceipt(deps, tx, notice, 'letter_queued')
    return true
  })
  if (!created) await deps.blobs.delete(blobKey)
  else deps.log.info({ noticeId: notice.id, printJobId: jobId, reason }, 'letter queued for printing')
}
