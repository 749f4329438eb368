import type { ScanState } from '../../src/store/attachments.types.ts'

/** What a message or thread PDF shows: already decrypted, already authorised; the layout reads nothing else. */

export type PdfLanguage = 'de' | 'en'

export type PdfOffice = { name: string; addressLines: string[] }

export type PdfCitizen = { name?: string | null; customerNumber: string }

export type PdfAttachment = { name: string; size: number; state: ScanState }

export type PdfMessage = {
  direction: 'citizen_to_office' | 'office_to_citizen'
  sentAt: Date
  body: string
  attachments: PdfAttachment[]
}

export type ThreadPdfView = {
  office: PdfOffice
  citizen: PdfCitizen
  /** categoryLabel arrives in the document's language (the caller owns the category names). */
  thread: { reference: string; categoryLabel: string; subject: string }
  /** Oldest first, as the thread reads. */
  messages: PdfMessage[]
  generatedAt: Date
  language: PdfLanguage
}

/** One message of a thread: the same header blocks, one message. */
export type MessagePdfView = Omit<ThreadPdfView, 'messages'> & { message: PdfMessage }
