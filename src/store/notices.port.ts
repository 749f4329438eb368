import type {
  Notice,
  NoticePatch,
  NoticeState,
  Notification,
  NotificationState,
  NotifyState,
  PrintJob,
} from './notices.types.ts'

/** Official notices of offices; office-facing reads are scoped by officeId in the query. */
export interface NoticeRepo {
  /** Inserts a notice; (officeId, senderNoticeId) must be unique. */
  create(notice: Notice): Promise<void>
  /** The office's notice, or null (also for another office's id). */
  get(officeId: string, id: string): Promise<Notice | null>
  /** The office's notices, newest first, optionally only those in a notification or notice state. */
  listForOffice(
    officeId: string,
    filter: { notifyState?: NotifyState; state?: NoticeState; before?: Date },
    limit: number,
  ): Promise<Notice[]>
  /** The office's notice with the sender's own id, or null. */
  getBySender(officeId: string, senderNoticeId: string): Promise<Notice | null>
  /** Unscoped read for workers that got the id from a job payload. */
  getForJob(id: string): Promise<Notice | null>
  /** The notice placed online as this message, or null. */
  getByMessage(messageId: string): Promise<Notice | null>
  /** Applies the patch (only while the state is one of `states`, when given); false otherwise. */
  update(id: string, patch: NoticePatch, states?: readonly NoticeState[]): Promise<boolean>
  /** Records the channel once: false when a decision was already recorded. */
  decide(id: string, patch: NoticePatch & Pick<Notice, 'channel' | 'decidedAt'>): Promise<boolean>
  /** Sets retrievedAt once (first open or download); true only for the call that set it. */
  markRetrieved(messageId: string, at: Date): Promise<boolean>
  /** Online notices provided before `before`, never retrieved and without a letter fallback yet. */
  listUnretrieved(before: Date, limit: number): Promise<Notice[]>
  /** Up to limit notices whose data key is wrapped under another KEK than keyId, by id after afterId. */
  listWrappedNotUnder(
    keyId: string,
    afterId: string | null,
    limit: number,
  ): Promise<Pick<Notice, 'id' | 'dekWrapped' | 'dekKeyId'>[]>
  /** Replaces the wrapped data key only while it is still under expectedOldKeyId; false otherwise. */
  rewrapDek(id: string, expectedOldKeyId: string, wrapped: Buffer, newKeyId: string): Promise<boolean>
  /** How many notices have their data key wrapped under each KEK id. */
  countByKeyId(): Promise<Record<string, number>>
}

/** Letters waiting for, or handed to, the print service. */
export interface PrintJobRepo {
  /** Inserts a print job; false when the notice already has one (one letter per notice). */
  create(job: PrintJob): Promise<boolean>
  /** The print job of a notice, or null. */
  getByNotice(noticeId: string): Promise<PrintJob | null>
  /** Queued jobs, oldest first. */
  listQueued(limit: number): Promise<PrintJob[]>
  /** The jobs of an export batch. */
  listBatch(batch: string): Promise<PrintJob[]>
  /** Marks queued jobs exported in a batch; returns how many changed. */
  markExported(ids: readonly string[], batch: string, at: Date): Promise<number>
  /** Marks the exported jobs of a batch handed over to the print service; returns them. */
  markHandedOver(batch: string, at: Date): Promise<PrintJob[]>
}

/** One row per message and channel: the debounced, retried notifications. */
export interface NotificationRepo {
  /** Inserts a pending notification; false when the message already has one on that channel. */
  enqueue(n: Notification): Promise<boolean>
  /**
   * Claims the citizen's pending notifications (and ones a crashed sender claimed before staleBefore)
   * for one sender: marks them sending and returns them, oldest first; concurrent senders get disjoint sets.
   */
  claim(citizenId: string, at: Date, staleBefore: Date): Promise<Notification[]>
  /** The notifications of a message. */
  listForMessage(messageId: string): Promise<Notification[]>
  /** The sent notifications that went out with this provider id (SMTP Message-ID). */
  listByExternalId(externalId: string): Promise<Notification[]>
  /** Marks sent notifications failed after a bounce; returns how many changed. */
  markBounced(ids: readonly string[], error: string): Promise<number>
  /** Sets state, error and (when sent) sentAt and externalId of claimed rows, counting one attempt. */
  settle(
    ids: readonly string[],
    result: { state: NotificationState; error?: string | null; externalId?: string | null; at: Date },
  ): Promise<void>
}

/** The citizen's postal address for letters, sealed under the citizen's data key. */
export interface PostalAddressRepo {
  /** The sealed address, or null. */
  get(citizenId: string): Promise<Buffer | null>
  /** Creates or replaces the sealed address. */
  put(citizenId: string, addressEnc: Buffer, at: Date): Promise<void>
  /** Removes it; false when there was none. */
  delete(citizenId: string): Promise<boolean>
}

export type NoticeRepos = {
  notices: NoticeRepo
  printJobs: PrintJobRepo
  notifications: NotificationRepo
  postalAddresses: PostalAddressRepo
}
