import type { Deps } from '../../deps.ts'
import type { InboundState } from '../../store/inbound.port.ts'

export type InboundListItem = {
  id: string
  state: InboundState
  reason: string | null
  channel: string
  size: number
  headerCount: number
  partCount: number
  attachmentCount: number
  threadId: string | null
  messageId: string | null
  receivedAt: Date
  processedAt: Date | null
}

/**
 * The office's inbound mails that need a person (review, by default with the refused ones), newest
 * first: reasons, counts and dates only; what the mails say stays in their sealed raw blobs.
 */
export async function listInboundMails(
  deps: Pick<Deps, 'store'>,
  officeId: string,
  query: { state?: InboundState; before?: string; limit: number },
): Promise<{ items: InboundListItem[]; nextCursor: string | null }> {
  const states: InboundState[] = query.state ? [query.state] : ['review', 'rejected']
  const [ms, id] = query.before?.split('.') ?? []
  const before = ms && id ? { receivedAt: new Date(Number(ms)), id } : undefined
  const rows = await deps.store.inbound.listForOffice(officeId, states, query.limit + 1, before)
  const page = rows.slice(0, query.limit)
  const last = page.at(-1)
  return {
    items: page.map((m) => ({
      id: m.id,
      state: m.state,
      reason: m.reason,
      channel: m.channel,
      size: m.size,
      headerCount: m.headerCount,
      partCount: m.partCount,
      attachmentCount: m.attachmentCount,
      threadId: m.threadId,
      messageId: m.messageId,
      receivedAt: m.receivedAt,
      processedAt: m.processedAt,
    })),
    nextCursor: rows.length > query.limit && last ? `${last.receivedAt.getTime()}.${last.id}` : null,
  }
}
