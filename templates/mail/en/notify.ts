import type { NotifyMails } from '../types.ts'

const footer =
  '\n\n-- \nYour Postkorb team\nThis email was sent automatically; please do not reply. You can turn notifications off in your profile.\n'

// Deliberately says nothing about the content: no subject, no text, no office, no file names.
export const notifyMailsEn: NotifyMails = {
  newMail: ({ count, notices, link }) => ({
    subject: count === 1 ? 'New message in your Postkorb' : `${count} new messages in your Postkorb`,
    text: `Hello,\n\n${count === 1 ? 'a new message is' : `${count} new messages are`} waiting for you in your Postkorb${notices > 0 ? ` (${notices === 1 ? 'one of them an official notice' : `${notices} of them official notices`})` : ''}.\n\nPlease sign in to read ${count === 1 ? 'it' : 'them'}:\n${link}\n\nFor your privacy, the content is not part of this email.${footer}`,
  }),
  appointmentSms: ({ link }) => `Postkorb: you have a new message about an appointment. Sign in: ${link}`,
}
