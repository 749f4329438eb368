import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as common from '@zxcvbn-ts/language-common'
import * as de from '@zxcvbn-ts/language-de'
import * as en from '@zxcvbn-ts/language-en'

/** One violated criterion, named for the client (code) and the person (German, then English). */
export type PasswordIssue = { path: 'password' | 'passwordRepeat'; code: string; de: string; en: string }

/** The office's published composition rule; the defaults are the rule, callers may tighten it. */
export type CompositionRule = { minLength: number; maxLength: number; specials: string }
export const OFFICE_RULE: CompositionRule = {
  minLength: 12,
  maxLength: 128,
  specials: '@#$%&*-_!+=:,.?/"();',
}

/** Words every attacker tries first on this site; zxcvbn counts them as known (ASVS 6.2). */
const SITE_WORDS = [
  'postkorb',
  'jobcenter',
  'passwort',
  'password',
  'kennwort',
  'buergergeld',
  'arbeitsagentur',
]

export type PasswordPolicy = {
  /** Every issue of a new password (composition, repeat, strength); empty when acceptable. */
  check(password: string, repeat: string, userInputs: string[]): PasswordIssue[]
}

const issue = (code: string, deText: string, enText: string): PasswordIssue => ({
  path: 'password',
  code: `password.${code}`,
  de: deText,
  en: enText,
})

/** The composition rule alone, each violated criterion once. */
export function compositionIssues(password: string, rule: CompositionRule = OFFICE_RULE): PasswordIssue[] {
  const out: PasswordIssue[] = []
  const chars = [...password]
  if (chars.length < rule.minLength)
    out.push(
      issue('too_short', `Mindestens ${rule.minLength} Zeichen.`, `At least ${rule.minLength} characters.`),
    )
  if (chars.length > rule.maxLength)
    out.push(
      issue('too_long', `Höchstens ${rule.maxLength} Zeichen.`, `At most ${rule.maxLength} characters.`),
    )
  if (!/[A-Z]/.test(password))
    out.push(
      issue('uppercase_missing', 'Mindestens ein Großbuchstabe (A–Z).', 'At least one capital letter (A–Z).'),
    )
  if (!/[a-z]/.test(password))
    out.push(
      issue('lowercase_missing', 'Mindestens ein Kleinbuchstabe (a–z).', 'At least one small letter (a–z).'),
    )
  if (!/[0-9]/.test(password))
    out.push(issue('digit_missing', 'Mindestens eine Ziffer (0–9).', 'At least one digit (0–9).'))
  const specials = [...rule.specials].join(' ')
  if (!chars.some((ch) => rule.specials.includes(ch)))
    out.push(
      issue(
        'special_missing',
        `Mindestens ein Sonderzeichen aus: ${specials}`,
        `At least one special character of: ${specials}`,
      ),
    )
  const allowed = (ch: string) => /[A-Za-z0-9]/.test(ch) || rule.specials.includes(ch)
  if (!chars.every(allowed))
    out.push(
      issue(
        'invalid_character',
        `Nur Buchstaben A–Z und a–z, Ziffern und diese Sonderzeichen: ${specials} (keine Umlaute, kein Leerzeichen).`,
        `Only letters A–Z and a–z, digits and these special characters: ${specials} (no umlauts, no spaces).`,
      ),
    )
  return out
}

/**
 * The policy with its strength check. zxcvbn's dictionaries (common passwords, German and
 * English words and names) take ~250 ms to rank, so they load on first use, once per policy.
 */
export function createPasswordPolicy(opts: { minScore: number; rule?: CompositionRule }): PasswordPolicy {
  const rule = opts.rule ?? OFFICE_RULE
  let zxcvbn: ZxcvbnFactory | undefined
  const strength = () => {
    zxcvbn ??= new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...de.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      // never truncate: the whole password (≤ maxLength) is rated
      maxLength: Math.max(rule.maxLength, 256),
    })
    return zxcvbn
  }
  return {
    check(password, repeat, userInputs) {
      const out = compositionIssues(password, rule)
      if (out.length === 0) {
        const { score } = strength().check(password, [...SITE_WORDS, ...userInputs.filter(Boolean)])
        if (score < opts.minScore)
          out.push(
            issue(
              'too_weak',
              'Das Passwort ist zu leicht zu erraten (bekanntes Passwort, Wort, Name, Muster oder Teil Ihrer E-Mail-Adresse). Nutzen Sie mehrere unabhängige Wörter.',
              'The password is too easy to guess (known password, word, name, pattern or part of your email address). Use several unrelated words.',
            ),
          )
      }
      if (password !== repeat)
        out.push({
          path: 'passwordRepeat',
          code: 'password.repeat_mismatch',
          de: 'Die Wiederholung stimmt nicht mit dem Passwort überein.',
          en: 'The repeated password does not match.',
        })
      return out
    },
  }
}
