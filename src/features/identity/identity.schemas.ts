import { z } from 'zod'

/**
 * Emails are trimmed and lower-cased as a whole: the local part too, since no mail provider a
 * citizen uses treats it case-sensitively and two accounts for "Max@" and "max@" would confuse.
 */
export const normaliseEmail = (raw: string) => raw.trim().toLowerCase()

const email = z
  .string()
  .max(320)
  .transform(normaliseEmail)
  .pipe(z.email({ message: 'Keine gültige E-Mail-Adresse. / Not a valid email address.' }).max(254))

// Long enough for any policy-conforming password; the policy names "too long" itself up to here.
const password = z.string().min(1).max(1024)
const token = z.string().min(16).max(200)

export const registerInput = z.object({
  email,
  password,
  passwordRepeat: z.string().max(1024),
  acceptTerms: z.literal(true, {
    message: 'Bitte stimmen Sie den Nutzungsbedingungen zu. / Please accept the terms of use.',
  }),
  consentEmail: z.literal(true, {
    message:
      'Bitte willigen Sie in die Nutzung Ihrer E-Mail-Adresse ein. / Please consent to the use of your email address.',
  }),
})

export const confirmEmailInput = z.object({ token })
export const loginInput = z.object({ email, password })
export const passwordChangeInput = z.object({
  currentPassword: password,
  password,
  passwordRepeat: z.string().max(1024),
})
export const resetRequestInput = z.object({ email })
export const resetInput = z.object({ token, password, passwordRepeat: z.string().max(1024) })

/** de unless the client prefers English (Accept-Language, by q-value). */
export function preferredLanguage(header: string | undefined): 'de' | 'en' {
  let best: { lang: 'de' | 'en'; q: number } = { lang: 'de', q: 0 }
  for (const part of (header ?? '').split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';')
    const lang = tag.split('-')[0]
    if (lang !== 'de' && lang !== 'en') continue
    const qParam = params.find((p) => p.trim().startsWith('q='))
    const q = qParam ? Number(qParam.trim().slice(2)) : 1
    if (Number.isFinite(q) && q > best.q) best = { lang, q }
  }
  return best.lang
}
