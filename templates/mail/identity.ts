import { identityMailsDe } from './de/identity.ts'
import { identityMailsEn } from './en/identity.ts'
import type { IdentityMails } from './types.ts'

/** The identity emails in the citizen's language (German unless they chose English). */
export const identityMails = (language: 'de' | 'en'): IdentityMails =>
  language === 'en' ? identityMailsEn : identityMailsDe
