import { errorFactory } from '../../errors.ts'

/** Errors of routing rules and re-routing; details are German first, then English. */
export const routingErrors = errorFactory('routing', {
  office_not_found: { status: 404, title: 'Not Found' },
  message_not_found: { status: 404, title: 'Not Found' },
  no_default_rule: { status: 422, title: 'Unprocessable Content' },
  invalid_rules: { status: 422, title: 'Unprocessable Content' },
  version_conflict: { status: 409, title: 'Conflict' },
  not_routable: { status: 409, title: 'Conflict' },
})

export const texts = {
  officeNotFound: 'Diese Dienststelle gibt es nicht. / There is no such office.',
  messageNotFound: 'Diese Nachricht gibt es nicht. / There is no such message.',
  noDefaultRule:
    'Die Regeln brauchen genau eine Standardregel (isDefault) als letzte Regel. / The rules need exactly one default rule (isDefault) as the last rule.',
  defaultMatches:
    'Die Standardregel gilt für alles und hat keine Bedingungen. / The default rule matches everything and has no conditions.',
  duplicateIds: 'Jede Regel braucht eine eigene id. / Every rule needs its own id.',
  versionConflict: (v: number) =>
    `Die Regeln wurden inzwischen geändert (Version ${v}). / The rules have changed meanwhile (version ${v}).`,
  notRoutable:
    'Die Nachricht ist noch nicht versandt oder nicht vom Bürger. / The message is not sent yet or not from a citizen.',
} as const
