import type { Deps } from '../../deps.ts'
import type { Notice, PrintJob } from '../../store/notices.types.ts'
import { berlinDay, deemedDays, explainDates, type LegalBasis, objectionDeadline } from './notices.dates.ts'

const iso = (d: Date | null) => (d ? d.toISOString() : null)

const NOTIFY_LABEL = {
  none: 'no notification',
  pending: 'notification pending',
  sent: 'notification sent',
  failed: 'notification failed',
  off: 'notifications turned off by the citizen',
} as const

/** The deemed delivery day, the objection deadline and the rule behind them, or null while unknown. */
export function noticeDates(deps: Pick<Deps, 'config'>, n: Notice) {
  if (!n.deemedOn || !n.legalBasis) return null
  const deadline = objectionDeadline(n.deemedOn, deps.config.notices.holidays)
  const from = n.providedAt ?? n.createdAt
  const days = deemedDays(berlinDay(from), deps.config.notices.deemedDays)
  return {
    deemedDeliveryOn: n.deemedOn,
    legalBasis: n.legalBasis,
    objectionDeadline: deadline.deadlineOn,
    objectionDeadlineMovedFrom: deadline.movedFrom,
    rule: explainDates(n.legalBasis as LegalBasis, days, n.deemedOn, deadline),
  }
}

/** What the office sees of its notice: states, channel and why, dates; never the content. */
export function noticeView(deps: Pick<Deps, 'config'>, n: Notice, letter: PrintJob | null) {
  return {
    id: n.id,
    senderNoticeId: n.senderNoticeId,
    customerNumber: n.customerNumber,
    noticeType: n.noticeType,
    digital: n.digital,
    reference: n.reference,
    threadId: n.threadId,
    state: n.state,
    document: { kind: n.documentKind, state: n.documentState, detail: n.documentDetail },
    channel: n.channel,
    channelReason: n.channelReason,
    decision: n.decision,
    decidedAt: iso(n.decidedAt),
    notification: { state: n.notifyState, label: NOTIFY_LABEL[n.notifyState], error: n.notifyError },
    dates: {
      providedAt: iso(n.providedAt),
      notifiedAt: iso(n.notifiedAt),
      firstRetrievedAt: iso(n.retrievedAt),
      ...(noticeDates(deps, n) ?? { deemedDeliveryOn: null, legalBasis: null, objectionDeadline: null }),
    },
    fallbackReason: n.fallbackReason,
    letter: letter
      ? {
          id: letter.id,
          state: letter.state,
          reason: letter.reason,
          pages: letter.pages,
          exportBatch: letter.exportBatch,
          exportedAt: iso(letter.exportedAt),
          handedOverAt: iso(letter.handedOverAt),
        }
      : null,
    createdAt: n.createdAt.toISOString(),
  }
}
