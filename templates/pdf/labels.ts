import type { ScanState } from '../../src/store/attachments.types.ts'
import type { PdfLanguage } from './types.ts'

/** Every fixed word the message and thread PDFs print, German first. */
export type PdfLabels = {
  documentMessage: string
  documentThread: string
  office: string
  citizen: string
  customerNumber: string
  date: string
  reference: string
  category: string
  subject: string
  from: string
  sentAt: string
  messageOf: (i: number, n: number) => string
  attachments: string
  noAttachments: string
  state: Record<ScanState, string>
  page: (x: number, y: number) => string
  generatedAt: (when: string) => string
  fromCitizen: string
  fromOffice: string
  noMessages: string
  locale: string
  lang: string
}

export const pdfLabels: Record<PdfLanguage, PdfLabels> = {
  de: {
    documentMessage: 'Nachricht',
    documentThread: 'Nachrichtenverlauf',
    office: 'Dienststelle',
    citizen: 'Kundin / Kunde',
    customerNumber: 'Kundennummer',
    date: 'Datum',
    reference: 'Zeichen',
    category: 'Anliegen',
    subject: 'Betreff',
    from: 'Von',
    sentAt: 'Gesendet',
    messageOf: (i, n) => `Nachricht ${i} von ${n}`,
    attachments: 'Anhänge',
    noAttachments: 'keine Anhänge',
    state: {
      pending: 'wird geprüft',
      clean: 'geprüft',
      infected: 'abgelehnt: Schadsoftware gefunden',
      rejected_type: 'abgelehnt: Dateityp nicht erlaubt',
      scan_failed: 'Prüfung fehlgeschlagen',
    },
    page: (x, y) => `Seite ${x} von ${y}`,
    generatedAt: (when) => `Erstellt am ${when} mit Postkorb`,
    fromCitizen: 'Kundin / Kunde',
    fromOffice: 'Jobcenter',
    noMessages: 'Dieser Verlauf enthält keine gesendeten Nachrichten.',
    locale: 'de-DE',
    lang: 'de-DE',
  },
  en: {
    documentMessage: 'Message',
    documentThread: 'Conversation',
    office: 'Office',
    citizen: 'Customer',
    customerNumber: 'Customer number',
    date: 'Date',
    reference: 'Reference',
    category: 'Category',
    subject: 'Subject',
    from: 'From',
    sentAt: 'Sent',
    messageOf: (i, n) => `Message ${i} of ${n}`,
    attachments: 'Attachments',
    noAttachments: 'no attachments',
    state: {
      pending: 'being checked',
      clean: 'checked',
      infected: 'rejected: malware found',
      rejected_type: 'rejected: file type not allowed',
      scan_failed: 'check failed',
    },
    page: (x, y) => `Page ${x} of ${y}`,
    generatedAt: (when) => `Created on ${when} by Postkorb`,
    fromCitizen: 'Customer',
    fromOffice: 'Jobcenter',
    noMessages: 'This conversation holds no sent messages.',
    locale: 'en-GB',
    lang: 'en-GB',
  },
}

const formatters = new Map<string, Intl.DateTimeFormat>()

/** Building an Intl formatter costs more than a page of text, so each is made once per locale. */
function formatter(locale: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${locale}|${withTime}`
  let f = formatters.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone: 'Europe/Berlin',
      day: '2-digit',
      month: '2-digit',
      year: 'numeric',
      ...(withTime ? { hour: '2-digit', minute: '2-digit' } : {}),
    })
    formatters.set(key, f)
  }
  return f
}

/** Date and time as a German office states them: Europe/Berlin, whatever zone the server runs in. */
export const formatDateTime = (d: Date, labels: PdfLabels): string => formatter(labels.locale, true).format(d)

/** The date alone, Europe/Berlin. */
export const formatDate = (d: Date, labels: PdfLabels): string => formatter(labels.locale, false).format(d)

/** 1 234 567 bytes → "1,2 MB" (de) / "1.2 MB" (en); decimal units as file managers show them. */
export function formatSize(bytes: number, labels: PdfLabels): string {
  const units = ['Bytes', 'KB', 'MB', 'GB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1
  const number = value.toFixed(digits)
  return `${labels.locale === 'de-DE' ? number.replace('.', ',') : number} ${units[unit]}`
}
