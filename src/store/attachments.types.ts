/** Domain types of uploaded files; names arrive sealed, contents live in the BlobStore. */

/** Where an attachment stands in the upload check (issue 5); only 'clean' may be downloaded or delivered. */
export type ScanState = 'pending' | 'clean' | 'infected' | 'rejected_type' | 'scan_failed'
export const scanStates = ['pending', 'clean', 'infected', 'rejected_type', 'scan_failed'] as const

/** The most attachments one message may carry. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10

export type Attachment = {
  id: string
  citizenId: string
  /** null while the upload is not yet part of a sent message or draft. */
  messageId: string | null
  /** The sanitised file name, sealed for the citizen (AAD attachments / id / name). */
  nameEnc: Buffer
  declaredType: string
  detectedType: string | null
  size: number
  scanState: ScanState
  /** Signature name or rejection reason; never content. */
  scanDetail: string | null
  blobKey: string
  createdAt: Date
  /** Set when an infected or refused file entered quarantine (issue 5). */
  quarantinedAt: Date | null
  /** Set when the quarantined content was deleted after the retention time. */
  purgedAt: Date | null
}

export type NewAttachment = Pick<
  Attachment,
  'id' | 'citizenId' | 'nameEnc' | 'declaredType' | 'size' | 'blobKey' | 'createdAt'
>

/** The outcome of the upload check for one attachment. */
export type ScanResult = {
  state: Exclude<ScanState, 'pending'>
  detectedType?: string | null
  detail?: string | null
}
