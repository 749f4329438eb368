import type { Deps } from '../../deps.ts'
import { PermanentJobError } from '../../queue/queue.port.ts'
import type { Notice } from '../../store/notices.types.ts'
import type { Tx } from '../../store/store.port.ts'
import { efileSecret, signEfileRequest } from '../delivery/efile-signature.ts'
import { noticeDates } from './notices.view.ts'

export const receiptEvents = [
  'provided',
  'notified',
  'notification_failed',
  'retrieved',
  'letter_queued',
  'letter_handed_over',
  'refused',
] as const
export type ReceiptEvent = (typeof receiptEvents)[number]

/** Enqueues a receipt for the office's e-file system in the transaction that records the event (only with an endpoint). */
export async function enqueueReceipt(
  deps: Pick<Deps, 'queue'>,
  tx: Tx,
  notice: Pick<Notice, 'id' | 'officeId'>,
  event: ReceiptEvent,
): Promise<void> {
  const office = await tx.offices.get(notice.officeId)
  if (!office?.efileEndpoint) return
  await deps.queue.send(
    'notice.receipt',
    { noticeId: notice.id, event },
    { tx, singletonKey: `${notice.id}:${event}` },
  )
}

const iso = (d: Date | null) => (d ? d.toISOString() : null)

/**
 * notice.receipt: POSTs the notice's current dates to the office's e-file endpoint as JSON, signed
 * like every e-file request (Postkorb-Signature, issue 6's efile-signature) with an Idempotency-Key
 * per notice and event. Ids, states and dates only: never subject, text or address.
 * 2xx done; 408, 429, 5xx and network errors retry; any other answer fails for good.
 */
export async function pushReceipt(
  deps: Pick<Deps, 'store' | 'keyring' | 'clock' | 'config' | 'log'>,
  payload: { noticeId: string; event: ReceiptEvent },
  signal: AbortSignal,
): Promise<void> {
  const notice = await deps.store.notices.getForJob(payload.noticeId)
  const office = notice ? await deps.store.offices.get(notice.officeId) : null
  if (!notice || !office?.efileEndpoint) return
  const letter = await deps.store.printJobs.getByNotice(notice.id)
  const dates = noticeDates(deps, notice)
  const now = deps.clock()
  const body = Buffer.from(
    JSON.stringify({
      type: 'postkorb.notice.receipt',
      version: 1,
      event: payload.event,
      sentAt: now.toISOString(),
      notice: {
        id: notice.id,
        senderNoticeId: notice.senderNoticeId,
        reference: notice.reference,
        noticeType: notice.noticeType,
        state: notice.state,
        channel: notice.channel,
        channelReason: notice.channelReason,
        fallbackReason: notice.fallbackReason,
      },
      dates: {
        providedAt: iso(notice.providedAt),
        notifiedAt: iso(notice.notifiedAt),
        firstRetrievedAt: iso(notice.retrievedAt),
        deemedDeliveryOn: dates?.deemedDeliveryOn ?? null,
        legalBasis: dates?.legalBasis ?? null,
        objectionDeadline: dates?.objectionDeadline ?? null,
      },
      notification: { state: notice.notifyState, error: notice.notifyError },
      letter: letter ? { state: letter.state, reason: letter.reason, pages: letter.pages } : null,
    }),
  )
  let res: Response
  try {
    res = await fetch(office.efileEndpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Postkorb-Event': 'notice.receipt',
        'Idempotency-Key': `notice-receipt:${notice.id}:${payload.event}`,
        'Postkorb-Signature': signEfileRequest(efileSecret(deps.keyring, office.id), body, now),
      },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(deps.config.delivery.efileTimeoutMs)]),
    })
  } catch (err) {
    throw new Error(`receipt push failed: ${(err as Error).name}`)
  }
  await res.body?.cancel()
  if (res.ok) {
    deps.log.info({ noticeId: notice.id, event: payload.event }, 'notice receipt pushed')
    return
  }
  const message = `receipt push answered HTTP ${res.status}`
  if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Error(message)
  throw new PermanentJobError(message)
}
