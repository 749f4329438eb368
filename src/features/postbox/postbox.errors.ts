import { errorFactory } from '../../errors.ts'

/** Errors of the postbox; details are German first, then English. */
export const postboxErrors = errorFactory('postbox', {
  thread_not_found: { status: 404, title: 'Not Found' },
  message_not_found: { status: 404, title: 'Not Found' },
  eid_required: { status: 403, title: 'Forbidden' },
  no_office: { status: 409, title: 'Conflict' },
  not_draft: { status: 409, title: 'Conflict' },
  subject_fixed: { status: 422, title: 'Unprocessable Content' },
  attachment_unknown: { status: 422, title: 'Unprocessable Content' },
  too_many_attachments: { status: 422, title: 'Unprocessable Content' },
  query_too_short: { status: 422, title: 'Unprocessable Content' },
  bad_cursor: { status: 400, title: 'Bad Request' },
})

export const texts = {
  threadNotFound: 'Diese Unterhaltung gibt es nicht. / There is no such conversation.',
  messageNotFound: 'Diese Nachricht gibt es nicht. / There is no such message.',
  eidRequired:
    'Ein Widerspruch braucht ein mit eID bestätigtes Profil. / An objection needs an eID-verified profile.',
  noOffice: 'Ihr Profil ist noch keinem Jobcenter zugeordnet. / Your profile is not linked to an office yet.',
  notDraft:
    'Die Nachricht ist schon gesendet und kann nicht mehr geändert werden. / The message has been sent and can no longer be changed.',
  subjectFixed:
    'Der Betreff gehört zur Unterhaltung und ist nach der ersten Nachricht fest. / The subject belongs to the conversation and is fixed after its first message.',
  attachmentUnknown:
    'Mindestens eine Datei gibt es nicht oder sie gehört schon zu einer Nachricht. / At least one file does not exist or already belongs to a message.',
  tooManyAttachments: (n: number) =>
    `Eine Nachricht kann höchstens ${n} Dateien haben. / A message can carry at most ${n} files.`,
  queryTooShort:
    'Der Suchbegriff ist zu kurz: mindestens ein Wort braucht 3 Zeichen. / The search query is too short: at least one word needs 3 characters.',
  badCursor: 'Der Seitenzeiger ist ungültig. / The page cursor is invalid.',
} as const
