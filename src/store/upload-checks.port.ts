import type { ScanResult } from './attachments.types.ts'

/** An upload-check outcome as recorded, optionally releasing a re-encoded blob in place of the upload. */
export type CheckOutcome = ScanResult & {
  /** The re-encoded content (already written): the attachment switches to it in the same update. */
  blob?: { key: string; size: number }
  /** Set for infected and type-rejected files: the start of their quarantine. */
  quarantinedAt?: Date
}

/** What the upload check (issue 5) writes beyond the attachment port: outcomes, message completion, quarantine. */
export interface UploadCheckRepo {
  /** Locks the message row until the transaction ends (PostgreSQL), so its outcomes are recorded one at a time. */
  lockMessage(messageId: string): Promise<void>
  /** Records the outcome while the attachment is still pending; false when it was already decided or is gone. */
  recordOutcome(id: string, outcome: CheckOutcome): Promise<boolean>
  /** Marks the message checked when none of its attachments is pending; true only the first time. */
  completeMessage(messageId: string, at: Date): Promise<boolean>
  /** Quarantined, not yet purged attachments that entered quarantine before `before`, oldest first. */
  listQuarantineDue(before: Date, limit: number): Promise<{ id: string; blobKey: string }[]>
  /** Records that the quarantined attachment's blob was deleted; false when it was purged already. */
  markPurged(id: string, at: Date): Promise<boolean>
  /** Ids of attachments whose check failed for good (scan_failed), oldest first. */
  listFailed(limit: number): Promise<string[]>
  /** Puts a scan_failed attachment back to pending for a new check; false when it was not scan_failed. */
  resetFailed(id: string): Promise<boolean>
  /** How many attachments are in scan_failed. */
  countFailed(): Promise<number>
}

export type UploadCheckRepos = { uploadChecks: UploadCheckRepo }
