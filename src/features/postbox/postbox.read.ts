import { queryTokens } from '../../crypto/blind-index.ts'
import type { Deps } from '../../deps.ts'
import { isId } from '../../ids.ts'
import type { Attachment } from '../../store/attachments.types.ts'
import type { Message, MessageCursor, MessageListItem, Thread } from '../../store/postbox.port.ts'
import type { Citizen } from '../../store/store.types.ts'
import { deliveryView } from '../delivery/delivery.service.ts'
import { refusalOf } from '../upload-check/upload-check.texts.ts'
import { type CitizenKeys, keysOf, openAttachmentName, openBody, openSubject } from './postbox.crypto.ts'
import { postboxErrors, texts } from './postbox.errors.ts'
import type { ListQuery } from './postbox.schemas.ts'

type ReadDeps = Pick<Deps, 'store' | 'keyring'>

/** One page of a folder, newest first, searched and filtered in SQL; nextCursor is null on the last page. */
export async function listMessages(deps: ReadDeps, citizen: Citizen, query: ListQuery) {
  const keys = keysOf(deps, citizen)
  let tokens: Buffer[] | undefined
  if (query.q !== undefined && query.q.trim() !== '') {
    tokens = queryTokens(keys.index, query.q)
    if (tokens.length === 0) throw postboxErrors.query_too_short(texts.queryTooShort)
  }
  const rows = await deps.store.postbox.list({
    citizenId: citizen.id,
    folder: query.folder,
    ...(tokens ? { tokens } : {}),
    ...(query.office ? { officeId: query.office } : {}),
    ...(query.category ? { category: query.category } : {}),
    ...(query.kind ? { kind: query.kind } : {}),
    ...(query.unread === undefined ? {} : { unread: query.unread }),
    ...(query.hasAttachments === undefined ? {} : { hasAttachments: query.hasAttachments }),
    ...(query.from ? { from: query.from } : {}),
    ...(query.to ? { to: query.to } : {}),
    ...(query.cursor ? { before: decodeCursor(query.cursor) } : {}),
    limit: query.limit + 1,
  })
  const page = rows.slice(0, query.limit)
  const last = page.at(-1)
  return {
    items: page.map((r) => listView(keys, r)),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
  }
}

/** Unread inbox messages and the size of every folder. */
export async function folderCounts(deps: ReadDeps, citizen: Citizen) {
  const c = await deps.store.postbox.folderCounts(citizen.id)
  return {
    inbox: { total: c.inbox, unread: c.unreadInbox },
    sent: { total: c.sent },
    drafts: { total: c.drafts },
    trash: { total: c.trash },
  }
}

/** One of the citizen's threads with every message and its attachments. */
export async function getThread(deps: ReadDeps, citizen: Citizen, threadId: string) {
  const thread = isId(threadId) ? await deps.store.postbox.getThread(citizen.id, threadId) : null
  if (!thread) throw postboxErrors.thread_not_found(texts.threadNotFound)
  const messages = await deps.store.postbox.listThreadMessages(citizen.id, thread.id)
  const attachments = await Promise.all(
    messages.map((m) => deps.store.attachments.listForMessage(citizen.id, m.id)),
  )
  return threadView(keysOf(deps, citizen), thread, messages, attachments)
}

/** A thread of the staff member's office, read inside one transaction with its audit entry. */
export async function readThreadForOffice(
  deps: ReadDeps,
  staff: { staffId: string; officeId: string; role: string },
  threadId: string,
) {
  const found = await deps.store.transaction(async (tx) => {
    const thread = isId(threadId) ? await tx.postbox.getThreadForOffice(staff.officeId, threadId) : null
    if (!thread) return null
    const messages = await tx.postbox.listThreadMessagesForOffice(staff.officeId, thread.id)
    const citizen = await tx.citizens.get(thread.citizenId)
    const attachments = await Promise.all(
      messages.map((m) => tx.attachments.listForMessage(thread.citizenId, m.id)),
    )
    const deliveries = await Promise.all(messages.map((m) => tx.deliveries.listForMessage(m.id)))
    const routes = await Promise.all(
      messages.map((m) => tx.routing.getMessageForOffice(staff.officeId, m.id)),
    )
    await tx.audit.append({
      actorKind: staff.role === 'integration' ? 'integration' : 'staff',
      actorId: staff.staffId,
      action: 'staff.read_thread',
      subjectKind: 'thread',
      subjectId: thread.id,
      officeId: staff.officeId,
      details: { messages: messages.length },
    })
    return { thread, messages, citizen, attachments, deliveries, routes }
  })
  if (!found?.citizen) throw postboxErrors.thread_not_found(texts.threadNotFound)
  const view = threadView(keysOf(deps, found.citizen), found.thread, found.messages, found.attachments)
  // The office sees each delivery's receipt: when, where, and the receiver's id (issue 6).
  return {
    ...view,
    messages: view.messages.map((m, i) => ({
      ...m,
      routeRuleId: found.routes[i]?.routeRuleId ?? null,
      deliveries: (found.deliveries[i] ?? []).map(deliveryView),
    })),
  }
}

function threadView<M extends Message>(
  keys: CitizenKeys,
  thread: Thread,
  messages: M[],
  attachments: Attachment[][],
) {
  const lastAnswer = messages.findLast((m) => m.direction === 'office_to_citizen')?.createdAt ?? null
  return {
    id: thread.id,
    reference: thread.reference,
    office: thread.officeId,
    category: thread.category,
    subject: openSubject(keys, thread.id, thread.subjectEnc),
    createdAt: thread.createdAt.toISOString(),
    updatedAt: thread.updatedAt.toISOString(),
    messages: messages.map((m, i) => ({
      ...messageFields(m),
      status: citizenStatus(m, {
        checking: (attachments[i] ?? []).some((a) => a.scanState === 'pending'),
        answered: lastAnswer !== null && m.createdAt <= lastAnswer,
      }),
      body: openBody(keys, m.id, m.bodyEnc),
      attachments: (attachments[i] ?? []).map((a) => ({
        id: a.id,
        name: openAttachmentName(keys, a.id, a.nameEnc),
        size: a.size,
        type: a.declaredType,
        state: a.scanState,
        refusal: refusalOf(a),
      })),
    })),
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null)

function messageFields(m: Omit<Message, 'bodyEnc'>) {
  return {
    id: m.id,
    threadId: m.threadId,
    direction: m.direction,
    kind: m.kind,
    state: m.state,
    folder: m.citizenFolder,
    createdAt: iso(m.createdAt),
    sentAt: iso(m.sentAt),
    readAt: iso(m.readAt),
    retrievedAt: iso(m.retrievedAt),
    trashedAt: iso(m.trashedAt),
    unread: m.direction === 'office_to_citizen' && m.readAt === null,
  }
}

/**
 * What the citizen sees of a sent message: submitted → checking (files in the upload check, or
 * delivery under way) → forwarded (delivered to the office) → answered. Office messages have none.
 */
export function citizenStatus(
  m: Pick<Message, 'direction' | 'state'>,
  seen: { checking: boolean; answered: boolean },
): 'draft' | 'submitted' | 'checking' | 'forwarded' | 'answered' | null {
  if (m.direction === 'office_to_citizen') return null
  if (m.state === 'draft') return 'draft'
  if (m.state === 'answered' || seen.answered) return 'answered'
  if (m.state === 'delivered') return 'forwarded'
  if (m.state === 'routed' || m.state === 'failed' || seen.checking) return 'checking'
  return 'submitted'
}

const PREVIEW = 120

function listView(keys: CitizenKeys, r: MessageListItem) {
  const subject = openSubject(keys, r.threadId, r.subjectEnc)
  return {
    ...messageFields(r),
    subject: subject.length > PREVIEW ? `${subject.slice(0, PREVIEW - 1)}…` : subject,
    office: r.officeId,
    category: r.category,
    attachmentCount: r.attachmentCount,
    deliveryState: r.state,
    status: citizenStatus(r, { checking: r.state === 'submitted' && r.attachmentCount > 0, answered: false }),
  }
}

/** Opaque keyset cursor: base64url of the last row's (createdAt ms, id). */
export const encodeCursor = (c: MessageCursor) =>
  Buffer.from(JSON.stringify([c.createdAt.getTime(), c.id])).toString('base64url')

export function decodeCursor(cursor: string): MessageCursor {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('alphabet')
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (!Array.isArray(parsed) || parsed.length !== 2) throw new Error('shape')
    const [ms, id] = parsed
    if (!Number.isSafeInteger(ms) || ms < 0 || typeof id !== 'string' || !isId(id)) throw new Error('fields')
    return { createdAt: new Date(ms), id }
  } catch {
    throw postboxErrors.bad_cursor(texts.badCursor)
  }
}
