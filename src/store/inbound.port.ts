/** Inbound mail rows (issue 6): ids, states, reasons, sizes and times; the raw mail is a sealed blob. */

/** received → appended (a message in its thread) | review (a person must look) | rejected (refused at receipt). */
export type InboundState = 'received' | 'appended' | 'review' | 'rejected'
export const inboundStates = ['received', 'appended', 'review', 'rejected'] as const

export type InboundMail = {
  id: string
  officeId: string
  state: InboundState
  /** Why it went to review or was rejected (a code such as token_forged); null otherwise. */
  reason: string | null
  /** How it arrived: the HTTP endpoint or the mail gateway's pipe (CLI). */
  channel: 'http' | 'cli'
  size: number
  headerCount: number
  partCount: number
  attachmentCount: number
  /** The raw mail sealed under the system inbound key; null when it was refused unread. */
  blobKey: string | null
  threadId: string | null
  messageId: string | null
  receivedAt: Date
  processedAt: Date | null
}

/** The outcome of processing a received mail. */
export type InboundOutcome = {
  state: Exclude<InboundState, 'received'>
  reason?: string | null
  threadId?: string | null
  messageId?: string | null
  /** Forget the raw blob's key (the caller deletes the blob after the commit). */
  dropBlob?: boolean
  at: Date
}

export interface InboundRepo {
  /** Inserts a mail row. */
  create(mail: InboundMail): Promise<void>
  /** One mail row by id (workers get it from the job payload), or null. */
  get(id: string): Promise<InboundMail | null>
  /** Records the outcome only while the mail is still received; false otherwise (already handled). */
  settle(id: string, outcome: InboundOutcome): Promise<boolean>
  /** The office's mails in these states, newest first, before the cursor (receivedAt, id). */
  listForOffice(
    officeId: string,
    states: readonly InboundState[],
    limit: number,
    before?: { receivedAt: Date; id: string },
  ): Promise<InboundMail[]>
  /** Up to limit mails still holding a raw blob that were received before the cutoff, oldest first. */
  listRawBefore(cutoff: Date, limit: number): Promise<{ id: string; blobKey: string }[]>
  /** Forgets the raw blob key while it is still this one; false when another run got there first. */
  dropRaw(id: string, blobKey: string): Promise<boolean>
  /** The thread of the message whose email delivery was sent with one of these Message-IDs, or null. */
  threadBySentMessageId(messageIds: readonly string[]): Promise<{ threadId: string; officeId: string } | null>
  /** Remembers the message an e-file POST with this Idempotency-Key made (inside its transaction). */
  recordEfileReply(reply: EfileReply): Promise<void>
  /** The message an earlier e-file POST of the office with this key made, or null. */
  findEfileReply(officeId: string, idempotencyKey: string): Promise<EfileReply | null>
  /** The id of the office's thread with this reference, or null (also for another office's reference). */
  threadIdByReference(officeId: string, reference: string): Promise<string | null>
}

/** An e-file reply made under an Idempotency-Key. */
export type EfileReply = {
  officeId: string
  idempotencyKey: string
  threadId: string
  messageId: string
  createdAt: Date
}

export type InboundRepos = { inbound: InboundRepo }
