import type { Deps } from '../../deps.ts'
import type { Message } from '../../store/postbox.port.ts'
import { deemedDelivery } from './notices.dates.ts'
import { enqueueReceipt } from './notices.receipt.ts'

/**
 * The citizen's first open or download of a notice: recorded once on the notice, and when the
 * notification cannot be shown to have gone out, that day is the day of deemed delivery.
 */
export async function recordNoticeRetrieval(
  deps: Pick<Deps, 'store' | 'config' | 'log' | 'queue'>,
  message: Pick<Message, 'id' | 'kind' | 'retrievedAt'>,
): Promise<void> {
  if (message.kind !== 'notice' || !message.retrievedAt) return
  const at = message.retrievedAt
  await deps.store.transaction(async (tx) => {
    if (!(await tx.notices.markRetrieved(message.id, at))) return
    const notice = await tx.notices.getByMessage(message.id)
    if (!notice) return
    const deemed =
      notice.deemedOn || notice.notifyState === 'sent'
        ? null
        : deemedDelivery({
            channel: 'online',
            providedAt: notice.providedAt,
            notifiedAt: null,
            retrievedAt: at,
          })
    if (deemed)
      await tx.notices.update(notice.id, { deemedOn: deemed.deemedOn, legalBasis: deemed.legalBasis })
    await tx.audit.append({
      actorKind: 'system',
      actorId: null,
      action: 'notice.retrieved',
      subjectKind: 'notice',
      subjectId: notice.id,
      officeId: notice.officeId,
      details: { messageId: message.id, deemedByRetrieval: deemed !== null },
    })
    await enqueueReceipt(deps, tx, notice, 'retrieved')
  })
}

/** A download of an attachment of a notice counts as its retrieval (first open or download). */
export async function recordNoticeDownload(
  deps: Pick<Deps, 'store' | 'config' | 'log' | 'clock' | 'queue'>,
  citizenId: string,
  messageId: string | null,
): Promise<void> {
  if (!messageId) return
  const message = await deps.store.postbox.getMessage(citizenId, messageId)
  if (message?.kind !== 'notice') return
  const updated = await deps.store.postbox.markRead(citizenId, messageId, deps.clock())
  if (updated) await recordNoticeRetrieval(deps, updated)
}
