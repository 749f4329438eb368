import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { openField, sealField } from './envelope.ts'
import { generateKeyFile, makeKeyring } from './keyring.ts'

const key = randomBytes(32)
const aad = { table: 'messages', rowId: 'm1', field: 'body', keyId: 'k1' }

describe('field envelope', () => {
  it('round-trips text and never contains the plaintext', () => {
    const sealed = sealField(key, 'Grüße aus Köln', aad)
    expect(sealed.includes(Buffer.from('Köln'))).toBe(false)
    expect(openField(key, sealed, aad).toString()).toBe('Grüße aus Köln')
  })

  it('refuses a ciphertext moved to another row, field or key id', () => {
    const sealed = sealField(key, 'secret', aad)
    expect(() => openField(key, sealed, { ...aad, rowId: 'm2' })).toThrow()
    expect(() => openField(key, sealed, { ...aad, field: 'subject' })).toThrow()
    expect(() => openField(key, sealed, { ...aad, keyId: 'k2' })).toThrow()
  })

  it('detects a flipped bit', () => {
    const sealed = sealField(key, 'secret', aad)
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1
    expect(() => openField(key, sealed, aad)).toThrow()
  })
})

describe('keyring', () => {
  it('wraps a data key bound to its citizen', () => {
    const ring = makeKeyring(generateKeyFile())
    const dek = randomBytes(32)
    const { wrapped, keyId } = ring.wrapDek('c1', dek)
    expect(ring.unwrapDek('c1', wrapped, keyId).equals(dek)).toBe(true)
    expect(() => ring.unwrapDek('c2', wrapped, keyId)).toThrow()
  })

  it('gives stable lookup MACs separated by purpose', () => {
    const ring = makeKeyring(generateKeyFile())
    expect(ring.lookupMac('email', 'a@b.de').equals(ring.lookupMac('email', 'a@b.de'))).toBe(true)
    expect(ring.lookupMac('email', 'a@b.de').equals(ring.lookupMac('other', 'a@b.de'))).toBe(false)
  })
})
