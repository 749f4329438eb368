import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import { newBlobKey } from '../../blobs/blobs.port.ts'
import { citizenKey, openForCitizen, sealForCitizen } from '../../crypto/citizen-keys.ts'
import type { Deps } from '../../deps.ts'
import { isAppError } from '../../errors.ts'
import { isId } from '../../ids.ts'
import { type Attachment, MAX_ATTACHMENTS_PER_MESSAGE } from '../../store/attachments.types.ts'
import type { Citizen } from '../../store/store.types.ts'
import { attachmentErrors, scannerUnavailable, texts } from './attachments.errors.ts'
import { type IncomingFile, type MultipartRequest, receiveSingleFile } from './attachments.multipart.ts'
import {
  allowedUploadTypes,
  extensionOf,
  normaliseDeclaredType,
  sanitiseFileName,
} from './attachments.names.ts'

type UploadDeps = Pick<Deps, 'config' | 'store' | 'blobs' | 'scanner' | 'keyring' | 'clock' | 'log'>

export type UploadRequest = MultipartRequest & { contentLength: number | null }
export type UploadView = { id: string; state: 'pending'; size: number }

// Boundaries and part headers around the file; a declared length beyond limit + this is refused unread.
const MULTIPART_SLACK = 16 * 1024
/** Uploads not yet sent with a message, per citizen: enough for two full messages, not for filling the disk. */
export const MAX_UNSENT_UPLOADS = 2 * MAX_ATTACHMENTS_PER_MESSAGE
const TABLE = 'attachments'
const NAME = 'name'
const allowedExtensions = new Set(Object.values(allowedUploadTypes).flat())

/**
 * Streams one uploaded file into an encrypted blob and records it as pending for the upload check.
 * Refuses before reading the body when the scanner is down or the declared length is too large.
 */
export async function uploadAttachment(
  deps: UploadDeps,
  citizen: Citizen,
  req: UploadRequest,
): Promise<UploadView> {
  const max = deps.config.http.maxUploadBytes
  if (req.contentLength !== null && req.contentLength > max + MULTIPART_SLACK)
    throw attachmentErrors.too_large(texts.tooLarge(max), { extra: { limit: max } })
  // A soft cap: two racing uploads may both pass it, which is harmless.
  if ((await deps.store.attachments.countUnbound(citizen.id)) >= MAX_UNSENT_UPLOADS)
    throw attachmentErrors.too_many_unsent(texts.tooManyUnsent(MAX_UNSENT_UPLOADS))
  try {
    await deps.scanner.ping()
  } catch (cause) {
    deps.log.warn({ err: cause }, 'upload refused: virus scanner unavailable')
    throw scannerUnavailable(cause)
  }
  const dek = citizenKey(deps.keyring, citizen)
  const staged = await receiveSingleFile(req, {
    maxFileBytes: max,
    onFile: (file) => stageFile(deps, dek, file),
    undo: (s) => deps.blobs.delete(s.blobKey),
  })
  try {
    if (staged.size === 0) throw attachmentErrors.empty(texts.empty)
    await deps.store.attachments.create({
      id: staged.id,
      citizenId: citizen.id,
      nameEnc: sealForCitizen(dek, TABLE, staged.id, NAME, staged.name),
      declaredType: staged.declaredType,
      size: staged.size,
      blobKey: staged.blobKey,
      createdAt: deps.clock(),
    })
  } catch (err) {
    await deps.blobs.delete(staged.blobKey)
    throw err
  }
  deps.log.info({ attachmentId: staged.id, size: staged.size }, 'attachment uploaded')
  return { id: staged.id, state: 'pending', size: staged.size }
}

type Staged = { id: string; blobKey: string; name: string; declaredType: string; size: number }

/** Checks what the client declared, then encrypts the content into a new blob (nothing in SQL yet). */
async function stageFile(deps: UploadDeps, dek: Buffer, file: IncomingFile): Promise<Staged> {
  const declaredType = normaliseDeclaredType(file.mimeType)
  if (!declaredType)
    throw attachmentErrors.unsupported_type(texts.unsupportedType(file.mimeType.slice(0, 80)))
  const name = sanitiseFileName(file.filename)
  const ext = extensionOf(name)
  if (!allowedExtensions.has(ext)) throw attachmentErrors.bad_extension(texts.badExtension)
  if (!allowedUploadTypes[declaredType]?.includes(ext))
    throw attachmentErrors.type_mismatch(texts.typeMismatch)
  const id = randomUUID()
  const blobKey = newBlobKey()
  const max = deps.config.http.maxUploadBytes
  try {
    const { size } = await deps.blobs.put(blobKey, file.stream, { dek, blobId: id, maxBytes: max })
    return { id, blobKey, name, declaredType, size }
  } catch (err) {
    if (isAppError(err) && (err.code === 'blobs.too_large' || err.code === 'attachments.too_large'))
      throw attachmentErrors.too_large(texts.tooLarge(max), { extra: { limit: max } })
    throw err
  }
}

export type Download = { attachment: Attachment; name: string; contentType: string; content: Readable }

/** The citizen's released (clean) attachment, decrypted as a stream; 404 for foreign ids, 409 until clean. */
export async function openAttachment(
  deps: Pick<Deps, 'store' | 'blobs' | 'keyring'>,
  citizen: Citizen,
  id: string,
): Promise<Download> {
  const attachment = await findOwn(deps, citizen, id)
  if (attachment.scanState !== 'clean')
    throw attachmentErrors.not_clean(texts.notClean(attachment.scanState), {
      extra: { state: attachment.scanState },
    })
  const dek = citizenKey(deps.keyring, citizen)
  const name = openForCitizen(dek, TABLE, attachment.id, NAME, attachment.nameEnc).toString('utf8')
  const content = deps.blobs.get(attachment.blobKey, { dek, blobId: attachment.id })
  return { attachment, name, contentType: attachment.detectedType ?? attachment.declaredType, content }
}

/** Deletes the citizen's attachment that is not yet part of a message, row first, then the blob. */
export async function deleteAttachment(
  deps: Pick<Deps, 'store' | 'blobs' | 'log'>,
  citizen: Citizen,
  id: string,
): Promise<void> {
  const attachment = await findOwn(deps, citizen, id)
  const blobKey = await deps.store.attachments.deleteUnbound(citizen.id, attachment.id)
  if (!blobKey) throw attachmentErrors.bound(texts.bound)
  await deps.blobs.delete(blobKey)
  deps.log.info({ attachmentId: attachment.id }, 'attachment deleted')
}

async function findOwn(deps: Pick<Deps, 'store'>, citizen: Citizen, id: string): Promise<Attachment> {
  const found = isId(id) ? await deps.store.attachments.get(citizen.id, id) : null
  if (!found) throw attachmentErrors.not_found(texts.notFound)
  return found
}
