/** Threads, messages and their blind-index tokens; every citizen-facing call is scoped by citizenId in the query. */

export type MessageDirection = 'citizen_to_office' | 'office_to_citizen'
export type MessageKind = 'message' | 'notice' | 'receipt'
/** draft → submitted (sent, awaiting check and routing) → routed → delivered (or failed) → answered; office messages are provided. */
export type MessageState = 'draft' | 'submitted' | 'routed' | 'delivered' | 'failed' | 'provided' | 'answered'
export type Folder = 'inbox' | 'sent' | 'drafts' | 'trash'
export const folders = ['inbox', 'sent', 'drafts', 'trash'] as const

export type Thread = {
  id: string
  citizenId: string
  officeId: string
  category: string
  reference: string
  /** Sealed for the citizen (AAD threads / id / subject). */
  subjectEnc: Buffer
  createdAt: Date
  updatedAt: Date
}

export type Message = {
  id: string
  threadId: string
  citizenId: string
  officeId: string
  direction: MessageDirection
  kind: MessageKind
  state: MessageState
  citizenFolder: Folder
  /** Sealed for the citizen (AAD messages / id / body). */
  bodyEnc: Buffer
  createdAt: Date
  sentAt: Date | null
  readAt: Date | null
  retrievedAt: Date | null
  trashedAt: Date | null
}

/** One row of a folder listing: the message without its body, with its thread's plain fields and sealed subject. */
export type MessageListItem = Omit<Message, 'bodyEnc'> & {
  category: string
  subjectEnc: Buffer
  attachmentCount: number
}

export type MessageCursor = { createdAt: Date; id: string }

/** A folder listing; every filter runs in SQL, newest first (createdAt, id). */
export type MessageQuery = {
  citizenId: string
  folder: Folder
  /** Blind-index tokens of the distinct query terms (queryTokens): a message matches when it holds all of them. */
  tokens?: readonly Buffer[]
  officeId?: string
  category?: string
  kind?: MessageKind
  unread?: boolean
  hasAttachments?: boolean
  from?: Date
  to?: Date
  /** Only messages strictly older than this (keyset pagination). */
  before?: MessageCursor
  limit: number
}

export type FolderCounts = Record<Folder, number> & { unreadInbox: number }

export interface PostboxRepo {
  /** Inserts a thread. */
  createThread(thread: Thread): Promise<void>
  /** The citizen's thread, or null (also for another citizen's id). */
  getThread(citizenId: string, id: string): Promise<Thread | null>
  /** A thread of the office, or null (also for another office's id). */
  getThreadForOffice(officeId: string, id: string): Promise<Thread | null>
  /** Replaces the sealed subject and/or category and bumps updatedAt of the citizen's thread. */
  updateThread(
    citizenId: string,
    id: string,
    patch: { subjectEnc?: Buffer; category?: string; updatedAt: Date },
  ): Promise<boolean>
  /** Inserts a message and its blind-index tokens (one multi-row insert). */
  insertMessage(message: Message, tokens: readonly Buffer[]): Promise<void>
  /** The citizen's message, or null (also for another citizen's id). */
  getMessage(citizenId: string, id: string): Promise<Message | null>
  /** The citizen's messages of a thread, oldest first. */
  listThreadMessages(citizenId: string, threadId: string): Promise<Message[]>
  /** The messages of a thread of the office, oldest first (drafts excluded: the office never sees them). */
  listThreadMessagesForOffice(officeId: string, threadId: string): Promise<Message[]>
  /** Replaces body and tokens of the citizen's message while it is a draft; false otherwise. */
  updateDraft(citizenId: string, id: string, bodyEnc: Buffer, tokens: readonly Buffer[]): Promise<boolean>
  /** Turns the citizen's draft into a sent message (state submitted, folder sent, dated at); false when it is no draft. */
  markSent(citizenId: string, id: string, at: Date): Promise<boolean>
  /** Sets readAt (and retrievedAt for office messages) once; returns the message after the update, or null. */
  markRead(citizenId: string, id: string, at: Date): Promise<Message | null>
  /** Moves the citizen's message to a folder (trashedAt set for trash, cleared otherwise); false when none. */
  moveToFolder(citizenId: string, id: string, folder: Folder, trashedAt: Date | null): Promise<boolean>
  /** Removes the citizen's message and its tokens (and its thread once empty); false when none. */
  deleteMessage(citizenId: string, id: string): Promise<boolean>
  /** One page of a folder, newest first, with search and filters applied in SQL. */
  list(query: MessageQuery): Promise<MessageListItem[]>
  /** Unscoped, for the retention job: up to limit messages trashed before cutoff, oldest first. */
  listTrashedBefore(cutoff: Date, limit: number): Promise<{ citizenId: string; id: string }[]>
  /** Messages per folder and unread inbox messages of the citizen. */
  folderCounts(citizenId: string): Promise<FolderCounts>
}

export type PostboxRepos = { postbox: PostboxRepo }
