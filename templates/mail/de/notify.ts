import type { NotifyMails } from '../types.ts'

const footer =
  '\n\n-- \nIhr Postkorb-Team\nDiese E-Mail wurde automatisch erstellt; bitte antworten Sie nicht darauf. Benachrichtigungen können Sie in Ihrem Profil abschalten.\n'

// Deliberately says nothing about the content: no subject, no text, no office, no file names.
export const notifyMailsDe: NotifyMails = {
  newMail: ({ count, notices, link }) => ({
    subject: count === 1 ? 'Neue Nachricht in Ihrem Postkorb' : `${count} neue Nachrichten in Ihrem Postkorb`,
    text: `Guten Tag,\n\nin Ihrem Postkorb ${count === 1 ? 'liegt eine neue Nachricht' : `liegen ${count} neue Nachrichten`} für Sie bereit${notices > 0 ? ` (darunter ${notices === 1 ? 'ein Bescheid' : `${notices} Bescheide`})` : ''}.\n\nBitte melden Sie sich an, um sie zu lesen:\n${link}\n\nAus Datenschutzgründen steht der Inhalt nicht in dieser E-Mail.${footer}`,
  }),
  appointmentSms: ({ link }) => `Postkorb: Sie haben eine neue Nachricht zu einem Termin. Anmelden: ${link}`,
}
