/**
 * Text → search terms for the blind index (issue 4, "Search"). Documents and queries go through the same
 * functions, so whatever folding happens here happens on both sides. Changing any rule changes tokens:
 * bump the version in blind-index.ts and re-index.
 */

/** Bounds that keep one huge body from exploding the index; a query is cut the same way. */
export const termLimits = {
  /** Shorter terms are not indexed, so a query term of 1–2 characters cannot match and is ignored. */
  minLength: 3,
  /** Longer terms are cut to this many characters; a longer query term is cut the same way and still matches. */
  maxLength: 32,
  /** Distinct terms per document; later ones are dropped. */
  maxTerms: 2000,
} as const

export type TermLimits = { minLength: number; maxLength: number; maxTerms: number }

const ignorable = /\p{Default_Ignorable_Code_Point}/gu
const germanFolds: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss' }
const germanLetters = /[äöüß]/g
const marks = /\p{M}/gu
const separators = /[^\p{L}\p{N}]+/u
const surrogate = /[\uD800-\uDFFF]/

/**
 * Folds text so spelling variants meet: NFKC (full-width "ＡＢＣ" → "ABC", ligatures), Unicode default
 * lowercase, then the rules where case folding differs from lowercase (ẞ → ß → ss, final ς → σ),
 * German umlauts ä→ae ö→oe ü→ue ß→ss, then every other diacritic stripped (é → e).
 */
export function foldText(text: string): string {
  // toLowerCase() is locale-independent Unicode lowercase; toLocaleLowerCase would make 'I' → 'ı' under
  // a Turkish server locale and so make tokens depend on the host. Removing ignorables (soft hyphen,
  // zero-width joiners) first keeps "Kinder\u00ADgeld" one word, as NFKC_Casefold does.
  const lower = text.normalize('NFKC').replace(ignorable, '').toLowerCase().replaceAll('ς', 'σ')
  const german = lower.replace(germanLetters, (c) => germanFolds[c] ?? c)
  // NFD splits é into e + U+0301; dropping the marks leaves e. NFC afterwards recomposes scripts such as
  // Hangul that NFD decomposed into letters, so their lengths stay what a reader would count.
  return german.normalize('NFD').replace(marks, '').normalize('NFC')
}

/**
 * Distinct search terms of one or more texts, in order of first appearance: folded, split on anything
 * that is not a letter or digit, terms shorter than `minLength` dropped, longer than `maxLength` cut,
 * at most `maxTerms` of them.
 */
export function searchTerms(texts: string | readonly string[], limits: TermLimits = termLimits): string[] {
  const terms = new Set<string>()
  for (const text of typeof texts === 'string' ? [texts] : texts) {
    const folded = foldText(text)
    const wide = surrogate.test(folded)
    for (const word of folded.split(separators)) {
      const chars = wide ? Array.from(word) : word
      if (chars.length < limits.minLength) continue
      const term = chars.length > limits.maxLength ? cut(word, chars, limits.maxLength) : word
      terms.add(term)
      if (terms.size >= limits.maxTerms) return [...terms]
    }
  }
  return [...terms]
}

/** Every prefix of a term from `minLength` characters up to the term itself ("kinder" → kin, kind, kinde, kinder). */
export function termPrefixes(term: string, minLength: number = termLimits.minLength): string[] {
  return prefixesLongerThan(term, 0, minLength)
}

/**
 * The distinct prefixes (from `minLength` characters) of distinct terms, at most `max`: terms are taken in
 * order while their prefixes fit, then sorted, so whatever a term shares with the one before it was
 * emitted already and only the longer prefixes are new; no set of strings is needed.
 */
export function distinctPrefixes(
  terms: readonly string[],
  max: number,
  minLength: number = termLimits.minLength,
): string[] {
  const chosen: string[] = []
  let budget = max
  for (const term of terms) {
    const count = Math.max(0, (surrogate.test(term) ? Array.from(term).length : term.length) - minLength + 1)
    if (count > budget) break
    budget -= count
    chosen.push(term)
  }
  chosen.sort()
  const prefixes: string[] = []
  let previous = ''
  for (const term of chosen) {
    prefixes.push(...prefixesLongerThan(term, sharedUnits(previous, term), minLength))
    previous = term
  }
  return prefixes
}

// Prefixes of at least minLength code points and more than `shared` UTF-16 units. A shared run of units
// always ends on a code point boundary of both terms, so the prefixes skipped are exactly the common ones.
function prefixesLongerThan(term: string, shared: number, minLength: number): string[] {
  const prefixes: string[] = []
  if (!surrogate.test(term)) {
    for (let n = Math.max(minLength, shared + 1); n <= term.length; n++) prefixes.push(term.slice(0, n))
    return prefixes
  }
  const chars = Array.from(term)
  for (let n = minLength; n <= chars.length; n++) {
    const prefix = chars.slice(0, n).join('')
    if (prefix.length > shared) prefixes.push(prefix)
  }
  return prefixes
}

function sharedUnits(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++
  return i
}

// Cuts by code points, never through a surrogate pair, so a cut astral letter cannot turn into U+FFFD.
function cut(word: string, chars: string | string[], n: number): string {
  return typeof chars === 'string' ? word.slice(0, n) : chars.slice(0, n).join('')
}
