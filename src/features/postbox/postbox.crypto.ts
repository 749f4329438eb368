import { deriveIndexKey, type IndexKey } from '../../crypto/blind-index.ts'
import { citizenKey, openForCitizen, sealForCitizen } from '../../crypto/citizen-keys.ts'
import type { Deps } from '../../deps.ts'
import type { Citizen } from '../../store/store.types.ts'

/** The citizen's data key and index key, unwrapped once per request and never stored. */
export type CitizenKeys = { dek: Buffer; index: IndexKey }

export function keysOf(deps: Pick<Deps, 'keyring'>, citizen: Citizen): CitizenKeys {
  const dek = citizenKey(deps.keyring, citizen)
  return { dek, index: deriveIndexKey(dek, citizen.id) }
}

export const sealSubject = (k: CitizenKeys, threadId: string, subject: string) =>
  sealForCitizen(k.dek, 'threads', threadId, 'subject', subject)
export const openSubject = (k: CitizenKeys, threadId: string, sealed: Buffer) =>
  openForCitizen(k.dek, 'threads', threadId, 'subject', sealed).toString('utf8')
export const sealBody = (k: CitizenKeys, messageId: string, body: string) =>
  sealForCitizen(k.dek, 'messages', messageId, 'body', body)
export const openBody = (k: CitizenKeys, messageId: string, sealed: Buffer) =>
  openForCitizen(k.dek, 'messages', messageId, 'body', sealed).toString('utf8')
export const openAttachmentName = (k: CitizenKeys, attachmentId: string, sealed: Buffer) =>
  openForCitizen(k.dek, 'attachments', attachmentId, 'name', sealed).toString('utf8')
