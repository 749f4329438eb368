import { createCipheriv, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  deriveIndexKey,
  indexTokens,
  maxTokensPerDocument,
  queryTokens,
  termTokens,
  tokenBytes,
} from './blind-index.ts'

const hex = (tokens: Buffer[]) => tokens.map((t) => t.toString('hex'))
const keyFor = (citizenId: string) => deriveIndexKey(randomBytes(32), citizenId)

/** AND search as the store runs it: every query token must be among the message's tokens. */
const matches = (docTokens: Buffer[], query: Buffer[]) => {
  const doc = new Set(hex(docTokens))
  return query.length > 0 && hex(query).every((t) => doc.has(t))
}

describe('blind index', () => {
  const key = keyFor('c1')
  const document = indexTokens(key, ['Kindergeld-Antrag für Kinder', 'Anbei die Unterlagen von Frau Müller.'])

  it('gives the same tokens for the same citizen and text every time', () => {
    const dek = randomBytes(32)
    const once = indexTokens(deriveIndexKey(dek, 'c1'), ['Müller Antrag'])
    const again = indexTokens(deriveIndexKey(dek, 'c1'), ['Müller Antrag'])
    expect(hex(again)).toEqual(hex(once))
  })

  it('gives different citizens different tokens for the same word', () => {
    const dek = randomBytes(32)
    const a = new Set(hex(indexTokens(deriveIndexKey(dek, 'c1'), ['Kindergeld'])))
    const sameDekOtherCitizen = hex(indexTokens(deriveIndexKey(dek, 'c2'), ['Kindergeld']))
    const otherCitizen = hex(indexTokens(keyFor('c1'), ['Kindergeld']))
    expect(sameDekOtherCitizen.some((t) => a.has(t))).toBe(false)
    expect(otherCitizen.some((t) => a.has(t))).toBe(false)
  })

  it('indexes every term and its prefixes from three characters, deduplicated', () => {
    // kindergeld → 8 prefixes, antrag → 4, fuer → 2, kinder adds none of its own.
    expect(indexTokens(key, ['Kindergeld-Antrag für Kinder'])).toHaveLength(8 + 4 + 2)
    expect(new Set(hex(document)).size).toBe(document.length)
  })

  it('finds a document by a multi-word prefix query with AND', () => {
    const query = queryTokens(key, 'kind antr')
    expect(query).toHaveLength(2)
    expect(matches(document, query)).toBe(true)
    expect(matches(document, queryTokens(key, 'kind bescheid'))).toBe(false)
  })

  it('finds Müller by Mueller, MÜLLER and the prefix mue', () => {
    for (const q of ['Mueller', 'MÜLLER', 'müller', 'mue', 'Mül'])
      expect(matches(document, queryTokens(key, q))).toBe(true)
  })

  it('does not find a word inside a compound, only its start', () => {
    expect(matches(document, queryTokens(key, 'kindergeld'))).toBe(true)
    expect(matches(document, queryTokens(key, 'geld'))).toBe(false)
    expect(matches(document, queryTokens(key, 'kind geld'))).toBe(false)
  })

  it('returns no query tokens for a query without a three-character term', () => {
    expect(queryTokens(key, 'zu ab')).toEqual([])
  })

  it('matches a query term longer than the cut-off against the cut document term', () => {
    const word = 'Grundsicherungsleistungsbescheidsaenderungsantrag'
    const doc = indexTokens(key, [`Ihr ${word}`])
    expect(matches(doc, queryTokens(key, word))).toBe(true)
    expect(matches(doc, queryTokens(key, `${word}xyz`))).toBe(true)
  })

  it('tells apart terms of 15 and 16 UTF-8 bytes that share their start', () => {
    const doc = indexTokens(key, ['abcdefghijklmnop'])
    expect(doc).toHaveLength(14)
    expect(new Set(hex(doc)).size).toBe(14)
    expect(matches(doc, queryTokens(key, 'abcdefghijklmno'))).toBe(true)
    expect(matches(doc, queryTokens(key, 'abcdefghijklmnq'))).toBe(false)
  })

  it('emits 16-byte tokens that contain no plaintext term', () => {
    for (const t of document) expect(t).toHaveLength(tokenBytes)
    const all = Buffer.concat(document)
    for (const term of ['kindergeld', 'kin', 'mueller', 'antrag', 'Müller']) {
      expect(all.includes(Buffer.from(term))).toBe(false)
    }
  })

  it('caps the tokens of a huge document', () => {
    const huge = Array.from({ length: 5_000 }, (_, i) => `${i}abcdefghijklmnopqrstuvwxyz`).join(' ')
    const tokens = indexTokens(key, [huge])
    expect(tokens.length).toBeLessThanOrEqual(maxTokensPerDocument)
    expect(tokens.length).toBeGreaterThan(maxTokensPerDocument - 32)
  })

  it('computes, batched, the same length-prefixed CBC-MAC as AES-256-CBC term by term', () => {
    const terms = [
      'kin',
      'abcdefghijklmno',
      'abcdefghijklmnop',
      'weiterbewilligungsantrag',
      'ae'.repeat(16),
      '한국어',
      '𠀀'.repeat(32),
    ]
    const reference = (term: string) => {
      const bytes = Buffer.from(term)
      const padded = Buffer.alloc(Math.ceil((bytes.length + 1) / 16) * 16)
      padded[0] = bytes.length
      bytes.copy(padded, 1)
      const cbc = createCipheriv('aes-256-cbc', key.aes, Buffer.alloc(16)).setAutoPadding(false)
      return cbc.update(padded).subarray(-16).toString('hex')
    }
    expect(hex(termTokens(key, terms))).toEqual(terms.map(reference))
  })

  it('refuses a term longer than its length byte can say', () => {
    expect(() => termTokens(key, ['ä'.repeat(128)])).toThrow(/255 bytes/)
  })

  it('refuses a data key of the wrong length', () => {
    expect(() => deriveIndexKey(randomBytes(16), 'c1')).toThrow(/32 bytes/)
  })
})
