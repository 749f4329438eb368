import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import { newBlobKey } from '../../blobs/blobs.port.ts'
import { indexTokens } from '../../crypto/blind-index.ts'
import { sealForCitizen } from '../../crypto/citizen-keys.ts'
import type { Deps } from '../../deps.ts'
import { isAppError } from '../../errors.ts'
import { isId } from '../../ids.ts'
import { MAX_ATTACHMENTS_PER_MESSAGE } from '../../store/attachments.types.ts'
import type { Message, Thread } from '../../store/postbox.port.ts'
import type { Tx } from '../../store/store.port.ts'
import { normaliseDeclaredType, sanitiseFileName } from '../attachments/attachments.names.ts'
import { keysOf, openSubject, sealBody } from '../postbox/postbox.crypto.ts'
import { replyErrors, texts } from './replies.errors.ts'

type ReplyDeps = Pick<Deps, 'config' | 'store' | 'queue' | 'blobs' | 'keyring' | 'clock' | 'log'>

export type OfficeReplyFile = { name: string; declaredType: string; content: Readable }

export type OfficeReplyInput = {
  officeId: string
  threadId: string
  body: string
  source: 'efile' | 'email' | 'service_center'
  actor: { kind: 'staff' | 'system'; id: string | null }
  /** A list, or an async iterable read one file at a time (a multipart form streaming in). */
  files: readonly OfficeReplyFile[] | AsyncIterable<OfficeReplyFile>
  /** Runs inside the message's transaction (e.g. marks the inbound mail appended); throwing rolls it all back. */
  within?: (tx: Tx, messageId: string) => Promise<void>
}

/** The longest reply text, in characters (a long letter, far beyond any caseworker's answer). */
export const MAX_REPLY_CHARS = 100_000

type Staged = { id: string; blobKey: string; name: string; declaredType: string; size: number }

/**
 * An office→citizen message in an existing thread of the office: body and file names sealed for the
 * citizen, files as encrypted blobs bound to the message (written first, deleted when the transaction
 * fails), search tokens, and `upload.check` per file (the check notifies once all are decided) or
 * `notify.citizen` at once — all in one transaction, audit-logged.
 */
export async function writeOfficeReply(
  deps: ReplyDeps,
  input: OfficeReplyInput,
): Promise<{ messageId: string; threadId: string }> {
  const files = input.files
  try {
    if (Array.isArray(files) && files.length > MAX_ATTACHMENTS_PER_MESSAGE)
      throw replyErrors.too_many_files(texts.tooManyFiles(MAX_ATTACHMENTS_PER_MESSAGE))
    if (input.body.length > MAX_REPLY_CHARS)
      throw replyErrors.body_too_long(texts.bodyTooLong(MAX_REPLY_CHARS))
    if (input.body.trim() === '' && Array.isArray(files) && files.length === 0)
      throw replyErrors.empty(texts.empty)
  } catch (err) {
    await closeFiles(files)
    throw err
  }
  const thread = await officeThread(deps, input)
  const citizen = await deps.store.citizens.get(thread.citizenId)
  if (!citizen) {
    await closeFiles(files)
    throw replyErrors.citizen_gone(texts.citizenGone)
  }
  const keys = keysOf(deps, citizen)
  const staged = await stageAll(deps, keys.dek, files)
  try {
    if (input.body.trim() === '' && staged.length === 0) throw replyErrors.empty(texts.empty)
    const now = deps.clock()
    const message = officeMessage(keys, thread, input.body, now)
    const tokens = indexTokens(keys.index, [
      openSubject(keys, thread.id, thread.subjectEnc),
      input.body,
      ...staged.map((s) => s.name),
    ])
    await deps.store.transaction(async (tx) => {
      await tx.postbox.insertMessage(message, tokens)
      for (const s of staged)
        await tx.attachments.create({
          id: s.id,
          citizenId: citizen.id,
          nameEnc: sealForCitizen(keys.dek, 'attachments', s.id, 'name', s.name),
          declaredType: s.declaredType,
          size: s.size,
          blobKey: s.blobKey,
          createdAt: now,
        })
      if (staged.length > 0) {
        const bound = await tx.attachments.bindToMessage(
          citizen.id,
          message.id,
          staged.map((s) => s.id),
        )
        if (bound !== staged.length) throw new Error('office reply: not every attachment was bound')
      }
      await tx.postbox.updateThread(citizen.id, thread.id, { updatedAt: now })
      // The citizen's messages before this answer now show as answered (routing, issue 6).
      await tx.routing.markAnswered(thread.id, now)
      if (staged.length === 0)
        await deps.queue.send('notify.citizen', { citizenId: citizen.id, messageId: message.id }, { tx })
      for (const s of staged) await deps.queue.send('upload.check', { attachmentId: s.id }, { tx })
      await tx.audit.append({
        actorKind: input.actor.kind,
        actorId: input.actor.id,
        action: 'replies.office_message',
        subjectKind: 'message',
        subjectId: message.id,
        officeId: thread.officeId,
        details: { threadId: thread.id, source: input.source, attachments: staged.length },
      })
      await input.within?.(tx, message.id)
    })
    deps.log.info(
      { threadId: thread.id, messageId: message.id, source: input.source, attachments: staged.length },
      'office reply written',
    )
    return { messageId: message.id, threadId: thread.id }
  } catch (err) {
    await dropBlobs(deps, staged)
    throw err
  }
}

async function officeThread(deps: ReplyDeps, input: OfficeReplyInput): Promise<Thread> {
  const thread = isId(input.threadId)
    ? await deps.store.postbox.getThreadForOffice(input.officeId, input.threadId)
    : null
  if (thread) return thread
  await closeFiles(input.files)
  throw replyErrors.thread_not_found(texts.threadNotFound)
}

function officeMessage(keys: ReturnType<typeof keysOf>, thread: Thread, body: string, now: Date): Message {
  const id = randomUUID()
  return {
    id,
    threadId: thread.id,
    citizenId: thread.citizenId,
    officeId: thread.officeId,
    direction: 'office_to_citizen',
    kind: 'message',
    state: 'provided',
    citizenFolder: 'inbox',
    bodyEnc: sealBody(keys, id, body),
    createdAt: now,
    sentAt: now,
    readAt: null,
    retrievedAt: null,
    trashedAt: null,
  }
}

// One file after the other, each into its own blob; on any failure the blobs written so far go again.
async function stageAll(deps: ReplyDeps, dek: Buffer, files: OfficeReplyInput['files']): Promise<Staged[]> {
  const staged: Staged[] = []
  try {
    for await (const file of files) {
      if (staged.length >= MAX_ATTACHMENTS_PER_MESSAGE) {
        file.content.destroy()
        throw replyErrors.too_many_files(texts.tooManyFiles(MAX_ATTACHMENTS_PER_MESSAGE))
      }
      staged.push(await stageFile(deps, dek, file))
    }
    return staged
  } catch (err) {
    await closeFiles(files)
    await dropBlobs(deps, staged)
    throw err
  }
}

// Stops what was not read: list streams are destroyed, an iterable (a form still streaming in) is closed.
async function closeFiles(files: OfficeReplyInput['files']) {
  if (Array.isArray(files)) {
    for (const f of files as readonly OfficeReplyFile[]) f.content.destroy()
    return
  }
  const iterator = (files as AsyncIterable<OfficeReplyFile>)[Symbol.asyncIterator]()
  await iterator.return?.()?.catch(() => {})
}

// Types outside the upload allow-list are kept as declared: the upload check rejects them visibly.
async function stageFile(deps: ReplyDeps, dek: Buffer, file: OfficeReplyFile): Promise<Staged> {
  const bare =
    file.declaredType.split(';')[0]?.trim().toLowerCase().slice(0, 100) || 'application/octet-stream'
  const declaredType = normaliseDeclaredType(bare) ?? bare
  const name = sanitiseFileName(file.name)
  const id = randomUUID()
  const blobKey = newBlobKey()
  const max = deps.config.http.maxUploadBytes
  let size: number
  try {
    size = (await deps.blobs.put(blobKey, file.content, { dek, blobId: id, maxBytes: max })).size
  } catch (err) {
    if (isAppError(err) && err.code === 'blobs.too_large')
      throw replyErrors.too_large(texts.tooLarge(max), { extra: { limit: max } })
    throw err
  }
  if (size === 0) {
    await deps.blobs.delete(blobKey)
    throw replyErrors.empty_file(texts.emptyFile)
  }
  return { id, blobKey, name, declaredType, size }
}

async function dropBlobs(deps: ReplyDeps, staged: readonly Staged[]) {
  for (const s of staged)
    await deps.blobs
      .delete(s.blobKey)
      .catch((err) => deps.log.warn({ err }, 'office reply: blob delete failed'))
}
