import { notifyMailsDe } from './de/notify.ts'
import { notifyMailsEn } from './en/notify.ts'
import type { NotifyMails } from './types.ts'

/** The notification texts in the citizen's language (German unless they chose English). */
export const notifyMails = (language: 'de' | 'en'): NotifyMails =>
  language === 'en' ? notifyMailsEn : notifyMailsDe
