import { randomBytes, randomUUID } from 'node:crypto'
import { indexTokens } from '../../crypto/blind-index.ts'
import type { Deps } from '../../deps.ts'
import { isId } from '../../ids.ts'
import { AttachmentLimitError } from '../../store/attachments.port.ts'
import type { Attachment } from '../../store/attachments.types.ts'
import type { Message, Thread } from '../../store/postbox.port.ts'
import type { Tx } from '../../store/store.port.ts'
import type { Citizen } from '../../store/store.types.ts'
import { recordNoticeRetrieval } from '../notices/notices.retrieval.ts'
import {
  type CitizenKeys,
  keysOf,
  openAttachmentName,
  openBody,
  openSubject,
  sealBody,
  sealSubject,
} from './postbox.crypto.ts'
import { postboxErrors, texts } from './postbox.errors.ts'
import type { DraftPatchInput, NewThreadInput, ReplyInput } from './postbox.schemas.ts'

type WriteDeps = Pick<Deps, 'store' | 'queue' | 'keyring' | 'clock' | 'log' | 'blobs' | 'config'>
export type Written = { threadId: string; messageId: string; state: Message['state'] }

/** A new thread to the citizen's own office, sent at once or kept as a draft. */
export async function createThread(
  deps: WriteDeps,
  citizen: Citizen,
  input: NewThreadInput,
): Promise<Written> {
  if (input.category === 'objection' && citizen.securityLevel !== 'eid')
    throw postboxErrors.eid_required(texts.eidRequired)
  if (!citizen.officeId) throw postboxErrors.no_office(texts.noOffice)
  const keys = keysOf(deps, citizen)
  const names = await unboundNames(deps, citizen, keys, input.attachmentIds)
  const now = deps.clock()
  const thread: Thread = {
    id: randomUUID(),
    citizenId: citizen.id,
    officeId: citizen.officeId,
    category: input.category,
    reference: newReference(),
    subjectEnc: Buffer.alloc(0),
    createdAt: now,
    updatedAt: now,
  }
  thread.subjectEnc = sealSubject(keys, thread.id, input.subject)
  const message = newMessage(keys, thread, input.body, input.draft, now)
  const tokens = indexTokens(keys.index, [input.subject, input.body, ...names])
  await deps.store.transaction(async (tx) => {
    await tx.postbox.createThread(thread)
    await tx.postbox.insertMessage(message, tokens)
    await bind(tx, citizen, message.id, input.attachmentIds, { fresh: true })
    if (!input.draft) await enqueueSent(deps, tx, message.id, input.attachmentIds)
  })
  deps.log.info({ threadId: thread.id, messageId: message.id, draft: input.draft }, 'postbox thread created')
  return { threadId: thread.id, messageId: message.id, state: message.state }
}

/** A reply in one of the citizen's threads (the "answer" button). */
export async function reply(
  deps: WriteDeps,
  citizen: Citizen,
  threadId: string,
  input: ReplyInput,
): Promise<Written> {
  const thread = isId(threadId) ? await deps.store.postbox.getThread(citizen.id, threadId) : null
  if (!thread) throw postboxErrors.thread_not_found(texts.threadNotFound)
  const keys = keysOf(deps, citizen)
  const names = await unboundNames(deps, citizen, keys, input.attachmentIds)
  const now = deps.clock()
  const message = newMessage(keys, thread, input.body, input.draft, now)
  const tokens = indexTokens(keys.index, [
    openSubject(keys, thread.id, thread.subjectEnc),
    input.body,
    ...names,
  ])
  await deps.store.transaction(async (tx) => {
    await tx.postbox.insertMessage(message, tokens)
    await tx.postbox.updateThread(citizen.id, thread.id, { updatedAt: now })
    await bind(tx, citizen, message.id, input.attachmentIds, { fresh: true })
    if (!input.draft) await enqueueSent(deps, tx, message.id, input.attachmentIds)
  })
  deps.log.info({ threadId, messageId: message.id, draft: input.draft }, 'postbox reply written')
  return { threadId, messageId: message.id, state: message.state }
}

/** Changes a draft's body, subject (only while it opens its thread alone) and attachments. */
export async function updateDraft(
  deps: WriteDeps,
  citizen: Citizen,
  messageId: string,
  input: DraftPatchInput,
): Promise<Written> {
  const { message, thread } = await ownDraft(deps, citizen, messageId)
  const keys = keysOf(deps, citizen)
  if (input.subject !== undefined) {
    const all = await deps.store.postbox.listThreadMessages(citizen.id, thread.id)
    if (all.length > 1) throw postboxErrors.subject_fixed(texts.subjectFixed)
  }
  const added = input.attachmentIds ?? []
  const newNames = await unboundNames(deps, citizen, keys, added)
  const bound = await deps.store.attachments.listForMessage(citizen.id, message.id)
  const names = [...bound.map((a) => openAttachmentName(keys, a.id, a.nameEnc)), ...newNames]
  const subject = input.subject ?? openSubject(keys, thread.id, thread.subjectEnc)
  const body = input.body ?? openBody(keys, message.id, message.bodyEnc)
  const bodyEnc = sealBody(keys, message.id, body)
  const tokens = indexTokens(keys.index, [subject, body, ...names])
  const now = deps.clock()
  await deps.store.transaction(async (tx) => {
    if (!(await tx.postbox.updateDraft(citizen.id, message.id, bodyEnc, tokens)))
      throw postboxErrors.not_draft(texts.notDraft)
    const subjectEnc = input.subject === undefined ? undefined : sealSubject(keys, thread.id, subject)
    await tx.postbox.updateThread(citizen.id, thread.id, {
      updatedAt: now,
      ...(subjectEnc ? { subjectEnc } : {}),
    })
    await bind(tx, citizen, message.id, added)
  })
  return { threadId: thread.id, messageId: message.id, state: 'draft' }
}

/** Sends a draft: from now on it can no longer be edited. */
export async function sendDraft(deps: WriteDeps, citizen: Citizen, messageId: string): Promise<Written> {
  const { message, thread } = await ownDraft(deps, citizen, messageId)
  if (thread.category === 'objection' && citizen.securityLevel !== 'eid')
    throw postboxErrors.eid_required(texts.eidRequired)
  const now = deps.clock()
  await deps.store.transaction(async (tx) => {
    if (!(await tx.postbox.markSent(citizen.id, message.id, now)))
      throw postboxErrors.not_draft(texts.notDraft)
    const attachments = await tx.attachments.listForMessage(citizen.id, message.id)
    await tx.postbox.updateThread(citizen.id, thread.id, { updatedAt: now })
    await enqueueSent(
      deps,
      tx,
      message.id,
      attachments.map((a) => a.id),
    )
  })
  deps.log.info({ messageId }, 'postbox draft sent')
  return { threadId: thread.id, messageId, state: 'submitted' }
}

/** Deletes a draft for good (rows, tokens, attachments and their blobs). */
export async function deleteDraft(deps: WriteDeps, citizen: Citizen, messageId: string): Promise<void> {
  await ownDraft(deps, citizen, messageId)
  await purgeMessage(deps, citizen, messageId)
}

/** Removes a message for good: rows, tokens, attachments (then their blobs); audit-logged. */
export async function purgeMessage(deps: WriteDeps, citizen: Citizen, messageId: string): Promise<void> {
  const message = isId(messageId) ? await deps.store.postbox.getMessage(citizen.id, messageId) : null
  if (!message) throw postboxErrors.message_not_found(texts.messageNotFound)
  if (!(await removeMessage(deps, message, { kind: 'citizen', id: citizen.id })))
    throw postboxErrors.message_not_found(texts.messageNotFound)
}

/**
 * Deletes a message's rows, tokens and attachments in one transaction with its audit entry, then
 * its blobs; false when it was already gone. Shared by the citizen's purge and the retention job.
 */
export async function removeMessage(
  deps: Pick<Deps, 'store' | 'blobs' | 'log'>,
  message: Pick<Message, 'id' | 'citizenId' | 'officeId' | 'threadId'>,
  actor: { kind: 'citizen' | 'system'; id: string | null },
  reason?: string,
): Promise<boolean> {
  const blobKeys = await deps.store.transaction(async (tx) => {
    const keys = await tx.attachments.deleteForMessage(message.citizenId, message.id)
    if (!(await tx.postbox.deleteMessage(message.citizenId, message.id))) return null
    await tx.audit.append({
      actorKind: actor.kind,
      actorId: actor.id,
      action: 'postbox.purge_message',
      subjectKind: 'message',
      subjectId: message.id,
      officeId: message.officeId,
      details: { threadId: message.threadId, attachments: keys.length, ...(reason ? { reason } : {}) },
    })
    return keys
  })
  if (!blobKeys) return false
  for (const key of blobKeys)
    await deps.blobs
      .delete(key)
      .catch((err) => deps.log.warn({ err, messageId: message.id }, 'blob delete failed'))
  deps.log.info({ messageId: message.id, attachments: blobKeys.length }, 'postbox message purged')
  return true
}

/** Moves a message to the trash, or back where it came from. */
export async function moveToTrash(deps: WriteDeps, citizen: Citizen, messageId: string, restore: boolean) {
  const message = isId(messageId) ? await deps.store.postbox.getMessage(citizen.id, messageId) : null
  if (!message) throw postboxErrors.message_not_found(texts.messageNotFound)
  const folder = restore ? homeFolder(message) : 'trash'
  await deps.store.postbox.moveToFolder(citizen.id, message.id, folder, restore ? null : deps.clock())
  return { id: message.id, folder }
}

/** Marks a message read; the first read of an office message records its retrieval once. */
export async function markRead(deps: WriteDeps, citizen: Citizen, messageId: string) {
  const updated = isId(messageId)
    ? await deps.store.postbox.markRead(citizen.id, messageId, deps.clock())
    : null
  if (!updated) throw postboxErrors.message_not_found(texts.messageNotFound)
  await recordNoticeRetrieval(deps, updated)
  return { id: updated.id, readAt: updated.readAt, retrievedAt: updated.retrievedAt }
}

const homeFolder = (m: Message) =>
  m.direction === 'office_to_citizen' ? 'inbox' : m.state === 'draft' ? 'drafts' : 'sent'

async function ownDraft(deps: WriteDeps, citizen: Citizen, messageId: string) {
  const message = isId(messageId) ? await deps.store.postbox.getMessage(citizen.id, messageId) : null
  if (!message) throw postboxErrors.message_not_found(texts.messageNotFound)
  if (message.state !== 'draft') throw postboxErrors.not_draft(texts.notDraft)
  const thread = await deps.store.postbox.getThread(citizen.id, message.threadId)
  if (!thread) throw postboxErrors.message_not_found(texts.messageNotFound)
  return { message, thread }
}

function newMessage(keys: CitizenKeys, thread: Thread, body: string, draft: boolean, now: Date): Message {
  const id = randomUUID()
  return {
    id,
    threadId: thread.id,
    citizenId: thread.citizenId,
    officeId: thread.officeId,
    direction: 'citizen_to_office',
    kind: 'message',
    state: draft ? 'draft' : 'submitted',
    citizenFolder: draft ? 'drafts' : 'sent',
    bodyEnc: sealBody(keys, id, body),
    createdAt: now,
    sentAt: draft ? null : now,
    readAt: now,
    retrievedAt: null,
    trashedAt: null,
  }
}

// The citizen's own unbound uploads, checked before the transaction; their names feed the index.
async function unboundNames(
  deps: WriteDeps,
  citizen: Citizen,
  keys: CitizenKeys,
  ids: readonly string[],
): Promise<string[]> {
  const found: Attachment[] = []
  for (const id of new Set(ids)) {
    const a = await deps.store.attachments.get(citizen.id, id)
    if (!a || a.messageId !== null) throw postboxErrors.attachment_unknown(texts.attachmentUnknown)
    found.push(a)
  }
  return found.map((a) => openAttachmentName(keys, a.id, a.nameEnc))
}

async function bind(
  tx: Tx,
  citizen: Citizen,
  messageId: string,
  ids: readonly string[],
  opts?: { fresh: true },
) {
  if (ids.length === 0) return
  try {
    const bound = await tx.attachments.bindToMessage(citizen.id, messageId, ids, opts)
    if (bound !== new Set(ids).size) throw postboxErrors.attachment_unknown(texts.attachmentUnknown)
  } catch (err) {
    if (err instanceof AttachmentLimitError)
      throw postboxErrors.too_many_attachments(texts.tooManyAttachments(err.limit))
    throw err
  }
}

// Same transaction as the message: nothing is lost between the write and the job.
async function enqueueSent(
  deps: Pick<Deps, 'queue'>,
  tx: Tx,
  messageId: string,
  attachmentIds: readonly string[],
) {
  if (attachmentIds.length === 0) {
    await deps.queue.send('message.route', { messageId }, { tx })
    return
  }
  for (const attachmentId of new Set(attachmentIds))
    await deps.queue.send('upload.check', { attachmentId }, { tx })
}

const REF_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
function newReference(): string {
  const bytes = randomBytes(10)
  return `PK-${[...bytes].map((b) => REF_ALPHABET[b % 32]).join('')}`
}
