import { describe, expect, it } from 'vitest'
import type { RoutingRule } from '../../store/store.types.ts'
import { firstMatch } from './routing.match.ts'

const rule = (id: string, match: RoutingRule['match'], isDefault = false): RoutingRule => ({
  id,
  name: id,
  match,
  destinations: [{ kind: 'queue', queue: id }],
  ...(isDefault ? { isDefault } : {}),
})
const facts = (
  text: string,
  over: Partial<{ category: string; kind: string; hasAttachments: boolean }> = {},
) => {
  let reads = 0
  return {
    f: {
      category: 'general',
      kind: 'message',
      hasAttachments: false,
      ...over,
      text: () => {
        reads++
        return text
      },
    },
    reads: () => reads,
  }
}

describe('firstMatch', () => {
  const rules = [
    rule('files', { hasAttachments: true, categories: ['evidence'] }),
    rule('words', { keywords: ['Veränderung', 'Miete erhöht'] }),
    rule('notice', { kinds: ['receipt'] }),
    rule('default', {}, true),
  ]

  it('takes the first rule whose every condition holds, in order', () => {
    expect(firstMatch(rules, facts('x', { category: 'evidence', hasAttachments: true }).f)?.id).toBe('files')
    expect(firstMatch(rules, facts('x', { category: 'evidence' }).f)?.id).toBe('default')
    expect(firstMatch(rules, facts('x', { kind: 'receipt' }).f)?.id).toBe('notice')
  })

  it('matches keywords as folded whole words or phrases: umlauts, case, punctuation', () => {
    expect(firstMatch(rules, facts('Eine VERAENDERUNG meiner Lage.').f)?.id).toBe('words')
    expect(firstMatch(rules, facts('Die  Miete, erhöht sich ab Mai').f)?.id).toBe('words')
    expect(firstMatch(rules, facts('Veränderungsmitteilung anbei').f)?.id).toBe('default')
    expect(firstMatch(rules, facts('Die Miete bleibt').f)?.id).toBe('default')
  })

  it('decrypts the text only when a keyword rule is reached, and at most once', () => {
    const early = facts('egal', { category: 'evidence', hasAttachments: true })
    firstMatch(rules, early.f)
    expect(early.reads()).toBe(0)
    const twice = facts('nichts', {})
    firstMatch(
      [rule('a', { keywords: ['eins'] }), rule('b', { keywords: ['zwei'] }), rule('d', {}, true)],
      twice.f,
    )
    expect(twice.reads()).toBe(1)
  })

  it('returns null for a rule set without a default that nothing matches', () => {
    expect(firstMatch([rule('only', { categories: ['objection'] })], facts('x').f)).toBeNull()
  })
})
