import { randomBytes } from 'node:crypto'
import { openForCitizen, sealForCitizen } from '../../crypto/citizen-keys.ts'
import type { Keyring } from '../../crypto/keyring.ts'
import type { Notice } from '../../store/notices.types.ts'

/**
 * Every notice has its own data key, wrapped under the KEK and bound to the notice id: a notice can
 * be for a customer without a Postkorb account (a letter only), so the citizen's key is not always there.
 */
export function newNoticeKey(keyring: Keyring, noticeId: string) {
  const dek = randomBytes(32)
  const { wrapped, keyId } = keyring.wrapDek(`notice:${noticeId}`, dek)
  return { dek, dekWrapped: wrapped, dekKeyId: keyId }
}

export const noticeKey = (keyring: Keyring, n: Pick<Notice, 'id' | 'dekWrapped' | 'dekKeyId'>): Buffer =>
  keyring.unwrapDek(`notice:${n.id}`, n.dekWrapped, n.dekKeyId)

type Field = 'subject' | 'text' | 'address'
export const sealNoticeField = (dek: Buffer, noticeId: string, field: Field, value: string) =>
  sealForCitizen(dek, 'notices', noticeId, field, value)
export const openNoticeField = (dek: Buffer, noticeId: string, field: Field, sealed: Buffer) =>
  openForCitizen(dek, 'notices', noticeId, field, sealed).toString('utf8')
