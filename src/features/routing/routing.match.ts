import { foldText } from '../../crypto/normalise.ts'
import type { RoutingRule } from '../../store/store.types.ts'

/** What a rule can look at: plain fields, and the decrypted text only when a rule asks for keywords. */
export type RoutingFacts = {
  category: string
  kind: string
  hasAttachments: boolean
  /** Subject and body, decrypted on demand inside the worker and never stored. */
  text: () => string
}

/** The office's first matching rule, or null when none matches (a valid rule set always has a default). */
export function firstMatch(rules: readonly RoutingRule[], facts: RoutingFacts): RoutingRule | null {
  let folded: string | undefined
  const words = () => {
    folded ??= ` ${foldText(facts.text()).replace(/[^\p{L}\p{N}]+/gu, ' ')} `
    return folded
  }
  for (const rule of rules) {
    if (rule.isDefault) return rule
    if (matches(rule, facts, words)) return rule
  }
  return null
}

function matches(rule: RoutingRule, facts: RoutingFacts, words: () => string): boolean {
  const m = rule.match
  if (m.categories && !m.categories.includes(facts.category)) return false
  if (m.kinds && !m.kinds.includes(facts.kind)) return false
  if (m.hasAttachments !== undefined && m.hasAttachments !== facts.hasAttachments) return false
  if (m.keywords) {
    const text = words()
    // Whole words or phrases, folded like search terms (ä = ae, case-insensitive).
    return m.keywords.some((k) =>
      text.includes(
        ` ${foldText(k)
          .replace(/[^\p{L}\p{N}]+/gu, ' ')
          .trim()} `,
      ),
    )
  }
  return true
}
