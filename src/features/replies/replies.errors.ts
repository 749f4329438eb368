import { errorFactory } from '../../errors.ts'

/** Errors of office replies (e-file API, inbound mail, service center); details German first, then English. */
export const replyErrors = errorFactory('replies', {
  thread_not_found: { status: 404, title: 'Not Found' },
  citizen_gone: { status: 409, title: 'Conflict' },
  empty: { status: 422, title: 'Unprocessable Content' },
  body_too_long: { status: 422, title: 'Unprocessable Content' },
  empty_file: { status: 422, title: 'Unprocessable Content' },
  too_many_files: { status: 422, title: 'Unprocessable Content' },
  too_large: { status: 413, title: 'Payload Too Large', retryable: false },
})

export const texts = {
  threadNotFound:
    'Diese Unterhaltung gibt es bei Ihrer Dienststelle nicht. / Your office has no such thread.',
  citizenGone:
    'Das Postfach dieser Unterhaltung gibt es nicht mehr. / The postbox of this thread no longer exists.',
  empty: 'Die Antwort braucht einen Text oder eine Datei. / A reply needs a text or a file.',
  bodyTooLong: (n: number) =>
    `Der Text ist länger als ${n} Zeichen. / The text is longer than ${n} characters.`,
  emptyFile: 'Eine Datei ist leer. / A file is empty.',
  tooManyFiles: (n: number) =>
    `Eine Nachricht kann höchstens ${n} Dateien haben. / A message can carry at most ${n} files.`,
  tooLarge: (max: number) =>
    `Eine Datei ist größer als ${Math.floor(max / 1024 / 1024)} MiB. / A file is larger than ${Math.floor(max / 1024 / 1024)} MiB.`,
} as const
