/** Domain types of official notices, their letters and the citizen notifications. */

export type NoticeChannel = 'online' | 'postal'
/** received → provided (online) | printing (letter queued) | address_missing | refused (document failed the check). */
export type NoticeState = 'received' | 'provided' | 'printing' | 'address_missing' | 'refused'
/** Whether the content-free notification of an online notice went out (SMTP accepted it). */
export type NotifyState = 'none' | 'pending' | 'sent' | 'failed' | 'off'
export type DocumentState = 'pending' | 'clean' | 'infected' | 'rejected_type'
export type FallbackReason = 'notification_failed' | 'not_retrieved'

/** The facts the channel decision used, recorded with it (the citizen's settings may change later). */
export type NoticeDecision = {
  onlineComm: boolean
  activated: boolean
  digital: boolean
  consentVersion: string | null
  onlineCommChangedAt: string | null
}

export type Notice = {
  id: string
  officeId: string
  citizenId: string | null
  customerNumber: string
  senderNoticeId: string
  noticeType: string
  digital: boolean
  documentKind: 'pdf' | 'text'
  documentState: DocumentState
  documentDetail: string | null
  /** The uploaded PDF, encrypted under the notice's own data key (blob id = notice id). */
  blobKey: string | null
  dekWrapped: Buffer
  dekKeyId: string
  /** Sealed under the notice key (AAD notices / id / field). */
  subjectEnc: Buffer
  textEnc: Buffer | null
  addressEnc: Buffer | null
  threadId: string | null
  reference: string
  state: NoticeState
  channel: NoticeChannel | null
  channelReason: string | null
  decision: NoticeDecision | null
  decidedAt: Date | null
  messageId: string | null
  providedAt: Date | null
  notifyState: NotifyState
  notifyError: string | null
  notifiedAt: Date | null
  retrievedAt: Date | null
  /** Calendar day (Europe/Berlin, YYYY-MM-DD) the notice counts as delivered. */
  deemedOn: string | null
  legalBasis: string | null
  fallbackReason: FallbackReason | null
  createdByStaffId: string | null
  createdAt: Date
  updatedAt: Date
}

export type NoticePatch = Partial<
  Pick<
    Notice,
    | 'documentState'
    | 'documentDetail'
    | 'state'
    | 'channel'
    | 'channelReason'
    | 'decision'
    | 'decidedAt'
    | 'messageId'
    | 'threadId'
    | 'providedAt'
    | 'notifyState'
    | 'notifyError'
    | 'notifiedAt'
    | 'retrievedAt'
    | 'deemedOn'
    | 'legalBasis'
    | 'fallbackReason'
  >
>

export type PrintJobState = 'queued' | 'exported' | 'handed_over'

export type PrintJob = {
  id: string
  noticeId: string
  officeId: string
  state: PrintJobState
  reason: 'postal' | FallbackReason
  /** The letter PDF, encrypted under the notice key (blob id = print job id). */
  blobKey: string
  pages: number
  bytes: number
  exportBatch: string | null
  createdAt: Date
  exportedAt: Date | null
  handedOverAt: Date | null
}

export type NotificationChannel = 'email' | 'sms'
/** pending → sending (claimed by one notify.send) → sent | failed; back to pending for a retry. */
export type NotificationState = 'pending' | 'sending' | 'sent' | 'failed'

export type Notification = {
  id: string
  citizenId: string
  messageId: string
  channel: NotificationChannel
  state: NotificationState
  attempts: number
  error: string | null
  externalId: string | null
  createdAt: Date
  claimedAt: Date | null
  sentAt: Date | null
}
