import { randomBytes, randomUUID } from 'node:crypto'
import { newBlobKey } from '../../blobs/blobs.port.ts'
import type { Deps } from '../../deps.ts'
import { isAppError } from '../../errors.ts'
import type { StaffAuth } from '../../http/staff-auth.ts'
import { isId } from '../../ids.ts'
import type { Notice } from '../../store/notices.types.ts'
import type { Citizen } from '../../store/store.types.ts'
import { newNoticeKey, sealNoticeField } from './notices.crypto.ts'
import { noticeErrors, texts } from './notices.errors.ts'
import { receiveNoticeForm } from './notices.multipart.ts'
import { type NewNoticeInput, type NoticeListQuery, newNoticeInput } from './notices.schemas.ts'
import { noticeView } from './notices.view.ts'

type IntakeDeps = Pick<Deps, 'store' | 'queue' | 'keyring' | 'clock' | 'log' | 'blobs' | 'config'>

/** A notice id and its key, made before the body is read so an upload can stream straight into its blob. */
type Prepared = { id: string; dek: Buffer; dekWrapped: Buffer; dekKeyId: string }
type Upload = { blobKey: string; size: number }

const prepare = (deps: Pick<Deps, 'keyring'>): Prepared => {
  const id = randomUUID()
  return { id, ...newNoticeKey(deps.keyring, id) }
}

/** A notice sent as JSON with structured text. */
export async function submitTextNotice(deps: IntakeDeps, staff: StaffAuth, input: NewNoticeInput) {
  return submit(deps, staff, input, prepare(deps), null)
}

/** A notice sent as multipart/form-data: field "notice" (the JSON) and the PDF as part "file". */
export async function submitPdfNotice(
  deps: IntakeDeps,
  staff: StaffAuth,
  req: { contentType: string; body: ReadableStream<Uint8Array> | null },
) {
  const prepared = prepare(deps)
  const max = deps.config.http.maxUploadBytes
  const form = await receiveNoticeForm<Upload>(req, {
    maxFileBytes: max,
    async onFile(file) {
      const named = file.filename.toLowerCase().endsWith('.pdf')
      if (file.mimeType !== 'application/pdf' || !named) {
        file.stream.resume()
        throw noticeErrors.not_pdf(texts.notPdf)
      }
      const blobKey = newBlobKey()
      try {
        const { size } = await deps.blobs.put(blobKey, file.stream, {
          dek: prepared.dek,
          blobId: prepared.id,
          maxBytes: max,
        })
        return { blobKey, size }
      } catch (err) {
        if (isAppError(err) && err.code === 'blobs.too_large')
          throw noticeErrors.too_large(texts.tooLarge(max))
        throw err
      }
    },
    undo: (u) => deps.blobs.delete(u.blobKey),
  })
  try {
    if (!form.file || form.file.size === 0) throw noticeErrors.document_required(texts.documentRequired)
    let raw: unknown
    try {
      raw = JSON.parse(form.fields.notice ?? '')
    } catch {
      throw noticeErrors.bad_form(texts.badForm)
    }
    return await submit(deps, staff, newNoticeInput.parse(raw), prepared, form.file)
  } catch (err) {
    if (form.file) await deps.blobs.delete(form.file.blobKey)
    throw err
  }
}

async function submit(
  deps: IntakeDeps,
  staff: StaffAuth,
  input: NewNoticeInput,
  prepared: Prepared,
  upload: Upload | null,
): Promise<{ created: boolean; notice: ReturnType<typeof noticeView> }> {
  if ((upload === null) === (input.text === undefined))
    throw noticeErrors.document_required(texts.documentRequired)
  const existing = await deps.store.notices.getBySender(staff.officeId, input.senderNoticeId)
  if (existing) return duplicate(deps, existing, input, upload)
  const citizen = await deps.store.citizens.findByCustomerNumber(staff.officeId, input.customerNumber)
  const thread = await linkedThread(deps, staff, citizen, input.threadId)
  const now = deps.clock()
  const { id, dek } = prepared
  const notice: Notice = {
    id,
    officeId: staff.officeId,
    citizenId: citizen?.id ?? null,
    customerNumber: input.customerNumber,
    senderNoticeId: input.senderNoticeId,
    noticeType: input.noticeType,
    digital: input.digital,
    documentKind: upload ? 'pdf' : 'text',
    // Text is rendered by Postkorb itself; only an uploaded file has to pass the check.
    documentState: upload ? 'pending' : 'clean',
    documentDetail: null,
    blobKey: upload?.blobKey ?? null,
    dekWrapped: prepared.dekWrapped,
    dekKeyId: prepared.dekKeyId,
    subjectEnc: sealNoticeField(dek, id, 'subject', input.subject),
    textEnc: input.text ? sealNoticeField(dek, id, 'text', JSON.stringify(input.text)) : null,
    addressEnc: input.postalAddress
      ? sealNoticeField(dek, id, 'address', JSON.stringify(input.postalAddress.lines))
      : null,
    threadId: thread?.id ?? null,
    reference: thread?.reference ?? newReference(),
    state: 'received',
    channel: null,
    channelReason: null,
    decision: null,
    decidedAt: null,
    messageId: null,
    providedAt: null,
    notifyState: 'none',
    notifyError: null,
    notifiedAt: null,
    retrievedAt: null,
    deemedOn: null,
    legalBasis: null,
    fallbackReason: null,
    createdByStaffId: staff.staffId,
    createdAt: now,
    updatedAt: now,
  }
  try {
    await deps.store.transaction(async (tx) => {
      await tx.notices.create(notice)
      await tx.audit.append({
        actorKind: staff.role === 'integration' ? 'integration' : 'staff',
        actorId: staff.staffId,
        action: 'notice.received',
        subjectKind: 'notice',
        subjectId: id,
        officeId: staff.officeId,
        details: { noticeType: input.noticeType, document: notice.documentKind, digital: input.digital },
      })
      await deps.queue.send('notice.deliver', { noticeId: id }, { tx })
    })
  } catch (err) {
    // Two requests with one senderNoticeId raced: the unique index let one through.
    const winner = await deps.store.notices.getBySender(staff.officeId, input.senderNoticeId)
    if (winner) return duplicate(deps, winner, input, upload)
    throw err
  }
  deps.log.info({ noticeId: id, document: notice.documentKind }, 'notice received')
  return { created: true, notice: noticeView(deps, notice, null) }
}

async function duplicate(deps: IntakeDeps, existing: Notice, input: NewNoticeInput, upload: Upload | null) {
  if (upload) await deps.blobs.delete(upload.blobKey)
  if (existing.customerNumber !== input.customerNumber || existing.noticeType !== input.noticeType)
    throw noticeErrors.duplicate_conflict(texts.duplicateConflict)
  const letter = await deps.store.printJobs.getByNotice(existing.id)
  return { created: false, notice: noticeView(deps, existing, letter) }
}

async function linkedThread(
  deps: IntakeDeps,
  staff: StaffAuth,
  citizen: Citizen | null,
  threadId: string | undefined,
) {
  if (threadId === undefined) return null
  const thread = await deps.store.postbox.getThreadForOffice(staff.officeId, threadId)
  if (!thread || !citizen || thread.citizenId !== citizen.id)
    throw noticeErrors.thread_not_found(texts.threadNotFound)
  return thread
}

/** The office's own notice with its channel, dates and letter. */
export async function getNoticeForOffice(deps: Pick<Deps, 'store' | 'config'>, staff: StaffAuth, id: string) {
  const notice = isId(id) ? await deps.store.notices.get(staff.officeId, id) : null
  if (!notice) throw noticeErrors.not_found(texts.notFound)
  return noticeView(deps, notice, await deps.store.printJobs.getByNotice(notice.id))
}

/** The office's notices, newest first: e.g. every notice whose notification failed or is still pending. */
export async function listNoticesForOffice(
  deps: Pick<Deps, 'store' | 'config'>,
  staff: StaffAuth,
  query: NoticeListQuery,
) {
  const rows = await deps.store.notices.listForOffice(
    staff.officeId,
    {
      ...(query.notification ? { notifyState: query.notification } : {}),
      ...(query.state ? { state: query.state } : {}),
      ...(query.before ? { before: query.before } : {}),
    },
    query.limit,
  )
  const items = await Promise.all(
    rows.map(async (n) => noticeView(deps, n, await deps.store.printJobs.getByNotice(n.id))),
  )
  return {
    items,
    nextBefore: rows.length === query.limit ? (rows.at(-1)?.createdAt.toISOString() ?? null) : null,
  }
}

const REF_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
function newReference(): string {
  return `PK-${[...randomBytes(10)].map((b) => REF_ALPHABET[b % 32]).join('')}`
}
