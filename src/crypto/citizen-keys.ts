import { randomBytes } from 'node:crypto'
import type { Citizen } from '../store/store.types.ts'
import { openField, sealField } from './envelope.ts'
import type { Keyring } from './keyring.ts'

/** A fresh data key for a new citizen, wrapped under the active KEK and bound to the citizen id. */
export function newCitizenKey(
  keyring: Keyring,
  citizenId: string,
): { dek: Buffer; dekWrapped: Buffer; dekKeyId: string } {
  const dek = randomBytes(32)
  const { wrapped, keyId } = keyring.wrapDek(citizenId, dek)
  return { dek, dekWrapped: wrapped, dekKeyId: keyId }
}

/** The citizen's data key; deleting the citizen row destroys its only wrapped copy (crypto-shredding). */
export const citizenKey = (keyring: Keyring, c: Pick<Citizen, 'id' | 'dekWrapped' | 'dekKeyId'>): Buffer =>
  keyring.unwrapDek(c.id, c.dekWrapped, c.dekKeyId)

/** Encrypts one field of a row under a citizen's data key (AAD: table, row id, field). */
export const sealForCitizen = (
  dek: Buffer,
  table: string,
  rowId: string,
  field: string,
  value: Buffer | string,
): Buffer => sealField(dek, value, { table, rowId, field, keyId: 'dek' })

/** Decrypts what sealForCitizen wrote; throws when moved to another row or field. */
export const openForCitizen = (
  dek: Buffer,
  table: string,
  rowId: string,
  field: string,
  sealed: Buffer,
): Buffer => openField(dek, sealed, { table, rowId, field, keyId: 'dek' })
