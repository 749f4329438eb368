import type { IdentityMails } from '../types.ts'

const footer = '\n\n-- \nYour Postkorb team\nThis email was sent automatically; please do not reply to it.\n'

export const identityMailsEn: IdentityMails = {
  confirmEmail: ({ link, hours }) => ({
    subject: 'Please confirm your email address',
    text: `Hello,\n\nyou registered for the Postkorb of your Jobcenter. Please confirm your email address with this link (valid for ${hours} hours, usable once):\n\n${link}\n\nIf you did not register, you can ignore this email.${footer}`,
  }),
  registrationAttempt: ({ loginUrl }) => ({
    subject: 'Registration with your email address',
    text: `Hello,\n\nsomeone tried to register for Postkorb with your email address. There already is an account for this address.\n\nWas it you? Then sign in here: ${loginUrl}\nIf you forgot your password, you can reset it with "Forgot password".\n\nWas it not you? Then there is nothing to do; your account was not changed.${footer}`,
  }),
  passwordReset: ({ link, token, minutes }) => ({
    subject: 'Reset your password',
    text: `Hello,\n\na password reset was requested for your Postkorb account. This link lets you set a new password (valid for ${minutes} minutes, usable once):\n\n${link}\n\nCode for apps: ${token}\n\nAfter the reset you still need your second factor (authenticator app or passkey).\nIf you did not ask for this, ignore this email; your password stays unchanged.${footer}`,
  }),
  passwordChanged: ({ reason }) => ({
    subject: 'Your password was changed',
    text: `Hello,\n\nthe password of your Postkorb account was just ${reason === 'reset' ? 'reset through the email link' : 'changed'}. Every other sign-in was ended.\n\nWas it not you? Then reset your password right away and contact your Jobcenter.${footer}`,
  }),
}
