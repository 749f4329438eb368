import { citizenKey, openForCitizen, sealForCitizen } from '../../crypto/citizen-keys.ts'
import type { Deps } from '../../deps.ts'
import { isId } from '../../ids.ts'
import type { Citizen } from '../../store/store.types.ts'
import { noticeErrors, texts } from './notices.errors.ts'
import type { PostalAddress } from './notices.schemas.ts'
import { noticeDates } from './notices.view.ts'

const ADDRESS = ['postal_addresses', 'address'] as const

/** The dates of one of the citizen's notices: deemed delivery, objection deadline and the rule. */
export async function getNoticeDates(
  deps: Pick<Deps, 'store' | 'config'>,
  citizen: Citizen,
  messageId: string,
) {
  const message = isId(messageId) ? await deps.store.postbox.getMessage(citizen.id, messageId) : null
  const notice = message?.kind === 'notice' ? await deps.store.notices.getByMessage(message.id) : null
  if (!message || !notice || notice.citizenId !== citizen.id) throw noticeErrors.not_found(texts.notFound)
  const dates = noticeDates(deps, notice)
  return {
    messageId: message.id,
    reference: notice.reference,
    providedAt: notice.providedAt?.toISOString() ?? null,
    firstRetrievedAt: notice.retrievedAt?.toISOString() ?? null,
    deemedDeliveryOn: dates?.deemedDeliveryOn ?? null,
    objectionDeadline: dates?.objectionDeadline ?? null,
    legalBasis: dates?.legalBasis ?? null,
    explanation: dates
      ? dates.rule[citizen.language]
      : citizen.language === 'en'
        ? 'The day of delivery is set once the notification has been sent or you have opened the notice.'
        : 'Der Tag der Bekanntgabe steht fest, sobald die Benachrichtigung versandt ist oder Sie den Bescheid geöffnet haben.',
  }
}

/** The citizen's postal address for letters (decrypted), or null. */
export async function getPostalAddress(deps: Pick<Deps, 'store' | 'keyring'>, citizen: Citizen) {
  const sealed = await deps.store.postalAddresses.get(citizen.id)
  if (!sealed) return { lines: null }
  const lines = openForCitizen(citizenKey(deps.keyring, citizen), ADDRESS[0], citizen.id, ADDRESS[1], sealed)
  return { lines: JSON.parse(lines.toString('utf8')) as string[] }
}

/** Stores the postal address sealed under the citizen's key; the change is audited (never the address). */
export async function putPostalAddress(
  deps: Pick<Deps, 'store' | 'keyring' | 'clock'>,
  citizen: Citizen,
  input: PostalAddress,
) {
  const sealed = sealForCitizen(
    citizenKey(deps.keyring, citizen),
    ADDRESS[0],
    citizen.id,
    ADDRESS[1],
    JSON.stringify(input.lines),
  )
  await deps.store.transaction(async (tx) => {
    await tx.postalAddresses.put(citizen.id, sealed, deps.clock())
    await tx.audit.append({
      actorKind: 'citizen',
      actorId: citizen.id,
      action: 'citizen.postal_address_changed',
      subjectKind: 'citizen',
      subjectId: citizen.id,
      officeId: citizen.officeId,
      details: { lines: input.lines.length },
    })
  })
  return { lines: input.lines }
}

export async function deletePostalAddress(deps: Pick<Deps, 'store'>, citizen: Citizen) {
  await deps.store.postalAddresses.delete(citizen.id)
}
