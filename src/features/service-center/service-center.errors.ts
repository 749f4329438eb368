import { errorFactory } from '../../errors.ts'

/** Errors of the service-center queues; details are German first, then English. */
export const serviceCenterErrors = errorFactory('service_center', {
  item_not_found: { status: 404, title: 'Not Found' },
  claimed_by_other: { status: 409, title: 'Conflict' },
  not_claimed: { status: 409, title: 'Conflict' },
  finished: { status: 409, title: 'Conflict' },
})

export const texts = {
  notFound: 'Diesen Vorgang gibt es in Ihren Warteschlangen nicht. / There is no such item in your queues.',
  claimedByOther:
    'Jemand anderes bearbeitet diesen Vorgang gerade. / Someone else is working on this item right now.',
  notClaimed:
    'Übernehmen Sie den Vorgang zuerst (claim); Ihre Übernahme ist vielleicht abgelaufen. / Claim the item first; your claim may have expired.',
  finished: 'Der Vorgang ist schon abgeschlossen. / The item is already finished.',
} as const
