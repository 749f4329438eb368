import { AppError, errorFactory } from '../../errors.ts'

/** Errors of uploads and downloads; details are German first, then English. */
export const attachmentErrors = errorFactory('attachments', {
  not_found: { status: 404, title: 'Not Found' },
  not_clean: { status: 409, title: 'Conflict' },
  bound: { status: 409, title: 'Conflict' },
  too_many_unsent: { status: 409, title: 'Conflict' },
  too_large: { status: 413, title: 'Payload Too Large', retryable: false },
  not_multipart: { status: 415, title: 'Unsupported Media Type' },
  unsupported_type: { status: 415, title: 'Unsupported Media Type' },
  bad_extension: { status: 422, title: 'Unprocessable Content' },
  type_mismatch: { status: 422, title: 'Unprocessable Content' },
  bad_form: { status: 422, title: 'Unprocessable Content' },
  empty: { status: 422, title: 'Unprocessable Content' },
})

/** The 503 whose text the client must see (5xx details are hidden by default); retry in a minute. */
export const scannerUnavailable = (cause: unknown) =>
  new AppError({
    code: 'attachments.scanner_unavailable',
    status: 503,
    title: 'Virenscanner nicht verfügbar / virus scanner unavailable',
    detail: texts.scannerUnavailable,
    expose: true,
    retryable: true,
    cause,
    extra: { retryAfterSeconds: 60 },
  })

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`

export const texts = {
  notFound: 'Diese Datei gibt es nicht. / There is no such file.',
  notClean: (state: string) =>
    `Die Datei ist noch nicht freigegeben (Prüfstatus: ${state}). / The file has not been released (check state: ${state}).`,
  bound:
    'Die Datei gehört schon zu einer Nachricht; löschen Sie die Nachricht. / The file already belongs to a message; delete the message instead.',
  tooLarge: (limit: number) =>
    `Die Datei ist größer als ${mib(limit)}. / The file is larger than ${mib(limit)}.`,
  tooManyUnsent: (n: number) =>
    `Sie haben schon ${n} Dateien hochgeladen, die zu keiner Nachricht gehören. Bitte senden oder löschen Sie diese zuerst. / You already uploaded ${n} files that belong to no message. Please send or delete them first.`,
  notMultipart:
    'Bitte senden Sie die Datei als multipart/form-data im Feld "file". / Please send the file as multipart/form-data in the field "file".',
  unsupportedType: (types: string) =>
    `Erlaubt sind nur PDF, JPEG und PNG (${types}). / Only PDF, JPEG and PNG are allowed (${types}).`,
  badExtension:
    'Der Dateiname muss auf .pdf, .jpg, .jpeg oder .png enden. / The file name must end in .pdf, .jpg, .jpeg or .png.',
  typeMismatch:
    'Dateiendung und Dateityp passen nicht zusammen. / The file name extension does not match the file type.',
  noFile: 'Die Anfrage enthält keine Datei im Feld "file". / The request has no file in the field "file".',
  oneFile: 'Bitte laden Sie genau eine Datei pro Anfrage hoch. / Please upload exactly one file per request.',
  badForm: 'Das Formular konnte nicht gelesen werden. / The form could not be read.',
  empty: 'Die Datei ist leer. / The file is empty.',
  scannerUnavailable:
    'Der Virenscanner ist gerade nicht erreichbar; bitte versuchen Sie es später erneut. Ungeprüfte Dateien nehmen wir nicht an. / The virus scanner is unreachable right now; please try again later. We do not accept unchecked files.',
} as const
