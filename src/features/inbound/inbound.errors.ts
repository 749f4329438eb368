import { errorFactory } from '../../errors.ts'

/** Errors of the inbound mail endpoint and pipe; details German first, then English. */
export const inboundErrors = errorFactory('inbound', {
  unsupported_media_type: { status: 415, title: 'Unsupported Media Type' },
  too_large: { status: 413, title: 'Payload Too Large', retryable: false },
  refused: { status: 422, title: 'Unprocessable Content', retryable: false },
  empty: { status: 422, title: 'Unprocessable Content', retryable: false },
  bad_query: { status: 400, title: 'Bad Request' },
})

export const texts = {
  mediaType:
    'Erwartet wird die rohe Mail als message/rfc822 oder application/octet-stream. / Send the raw mail as message/rfc822 or application/octet-stream.',
  tooLarge: (max: number) => `Die Mail ist größer als ${max} Bytes. / The mail is larger than ${max} bytes.`,
  refused: (reason: string) =>
    `Die Mail wurde vor dem Lesen abgelehnt (${reason}). / The mail was refused before parsing (${reason}).`,
  empty: 'Die Mail ist leer. / The mail is empty.',
  badQuery: 'Ungültige Abfrage. / Invalid query.',
} as const
