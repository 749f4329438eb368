import { errorFactory } from '../../errors.ts'

/** Errors of the notices API; details are German first, then English. */
export const noticeErrors = errorFactory('notices', {
  not_found: { status: 404, title: 'Not Found' },
  thread_not_found: { status: 422, title: 'Unprocessable Content' },
  document_required: { status: 422, title: 'Unprocessable Content' },
  not_pdf: { status: 415, title: 'Unsupported Media Type' },
  bad_form: { status: 400, title: 'Bad Request' },
  too_large: { status: 413, title: 'Payload Too Large' },
  duplicate_conflict: { status: 409, title: 'Conflict' },
  address_invalid: { status: 422, title: 'Unprocessable Content' },
})

export const texts = {
  notFound: 'Diesen Bescheid gibt es nicht. / There is no such notice.',
  threadNotFound:
    'Die verknüpfte Unterhaltung gibt es nicht oder sie gehört nicht zu diesem Kunden. / The linked thread does not exist or belongs to another customer.',
  documentRequired:
    'Ein Bescheid braucht genau ein Dokument: eine PDF-Datei (multipart, Teil "file") oder strukturierten Text ("text"). / A notice needs exactly one document: a PDF file (multipart part "file") or structured text ("text").',
  notPdf: 'Der Bescheid muss eine PDF-Datei sein. / The notice must be a PDF file.',
  badForm:
    'Das Formular ist ungültig: erwartet werden das Feld "notice" (JSON) und höchstens eine Datei "file". / The form is invalid: expected the field "notice" (JSON) and at most one file "file".',
  tooLarge: (max: number) => `Die Datei ist größer als ${max} Bytes. / The file is larger than ${max} bytes.`,
  duplicateConflict:
    'Ein Bescheid mit dieser senderNoticeId existiert bereits mit anderem Inhalt. / A notice with this senderNoticeId already exists with different content.',
  noPostalAddress: 'Für den Brief fehlt die Postanschrift. / The postal address for the letter is missing.',
} as const
