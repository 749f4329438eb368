import type { Attachment, NewAttachment, ScanResult, ScanState } from './attachments.types.ts'

/** Thrown by bindToMessage when the message would carry more than MAX_ATTACHMENTS_PER_MESSAGE; nothing is bound. */
export class AttachmentLimitError extends Error {
  readonly limit: number
  constructor(limit: number) {
    super(`a message carries at most ${limit} attachments`)
    this.name = 'AttachmentLimitError'
    this.limit = limit
  }
}

/** Uploaded files of citizens; every citizen-facing call is scoped by citizenId in the query itself. */
export interface AttachmentRepo {
  /** Inserts an attachment row (scanState 'pending', unbound) after its blob is complete. */
  create(attachment: NewAttachment): Promise<Attachment>
  /** The citizen's attachment with this id, or null (also for another citizen's id). */
  get(citizenId: string, id: string): Promise<Attachment | null>
  /** Unscoped read for workers that got the id from a job payload (upload check); null when gone. */
  getForCheck(id: string): Promise<Attachment | null>
  /** The citizen's attachments bound to a message, oldest first. */
  listForMessage(citizenId: string, messageId: string): Promise<Attachment[]>
  /**
   * Binds those of attachmentIds that belong to the citizen and are still unbound to the message and
   * returns how many it bound; throws AttachmentLimitError (binding none) when the message would exceed the limit.
   * `fresh`: the message was inserted in this same transaction, so no other binder can see it and it
   * holds no files yet: neither its row lock nor its count is read (one statement instead of three).
   */
  bindToMessage(
    citizenId: string,
    messageId: string,
    attachmentIds: readonly string[],
    opts?: { fresh?: boolean },
  ): Promise<number>
  /** Records the upload check outcome while the attachment is in one of `from` (default: pending); false otherwise. */
  setScanResult(id: string, result: ScanResult, from?: readonly ScanState[]): Promise<boolean>
  /** How many of the citizen's attachments belong to no message yet (uploads not sent). */
  countUnbound(citizenId: string): Promise<number>
  /** Deletes the citizen's attachment only while it is unbound; its blob key for the caller to delete, or null. */
  deleteUnbound(citizenId: string, id: string): Promise<string | null>
  /** The blob keys of every attachment of the citizen, for deleting them with the profile. */
  listBlobKeys(citizenId: string): Promise<string[]>
  /** Deletes the attachments of the citizen's message; their blob keys for the caller to delete. */
  deleteForMessage(citizenId: string, messageId: string): Promise<string[]>
}

export type AttachmentRepos = { attachments: AttachmentRepo }
