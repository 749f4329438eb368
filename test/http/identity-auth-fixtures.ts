import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import type { BackendKind } from '../helpers/backends.ts'
import { type CapturedMail, type SmtpCapture, startSmtpCapture } from '../helpers/smtp.ts'

/** Passwords that meet the office rule and zxcvbn's default minimum score. */
export const STRONG = 'Kaffeetasse-Regenwolke-7Q'
export const STRONG_2 = 'Tr4mpolin#Wald;Gurke9'
export const PUBLIC_URL = 'http://postkorb.test'

export type Problem = {
  status: number
  code: string
  detail?: string
  requestId?: string
  errors?: { path: string; code: string; de: string; en: string; message: string }[]
}
export type AuthApp = TestApp & { smtp: SmtpCapture; close(): Promise<void> }

/** A real app on a fresh database whose mail goes to a real SMTP server in the test process. */
export async function makeAuthApp(kind: BackendKind, env: Record<string, string> = {}): Promise<AuthApp> {
  const smtp = await startSmtpCapture()
  const t = await makeTestApp(kind, { SMTP_URL: smtp.url, PUBLIC_URL, ...env })
  return {
    ...t,
    smtp,
    async close() {
      await t.close()
      await smtp.close()
    },
  }
}

export const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json', ...headers },
})

export const registration = (email: string, password = STRONG, extra: Record<string, unknown> = {}) => ({
  email,
  password,
  passwordRepeat: password,
  acceptTerms: true,
  consentEmail: true,
  ...extra,
})

export const mailTo = (t: AuthApp, email: string, subject?: RegExp) =>
  t.smtp.waitFor((m) => m.to.includes(email) && (!subject || subject.test(m.subject)))

export const linkToken = (mail: CapturedMail, pattern = /confirm-email\?token=([A-Za-z0-9_-]+)/) => {
  const token = pattern.exec(mail.text)?.[1]
  expect(token, 'token in mail').toBeTruthy()
  return token as string
}

/** Registers through the API and confirms with the link from the real mail. */
export async function registerConfirmed(t: AuthApp, email: string, password = STRONG): Promise<void> {
  const res = await t.app.request('/v1/auth/register', json(registration(email, password)))
  expect(res.status).toBe(202)
  const token = linkToken(await mailTo(t, email, /best[äa]tigen|confirm/i))
  const confirmed = await t.app.request(`/v1/auth/confirm-email?token=${token}`)
  expect(confirmed.status).toBe(200)
}

export type LoggedIn = {
  res: Response
  cookie: string
  token: string
  csrf: string
  body: Record<string, unknown>
}

/** Cookie pair ("name=value") from a Set-Cookie header, or '' when none was set. */
export const sessionCookieOf = (res: Response) =>
  (res.headers.get('set-cookie') ?? '').split(';')[0]?.match(/^(__Host-)?pk_session=.+/)?.[0] ?? ''

export async function login(
  t: AuthApp,
  email: string,
  password = STRONG,
  headers: Record<string, string> = {},
): Promise<LoggedIn> {
  const res = await t.app.request('/v1/auth/login', json({ email, password }, headers))
  const body = (await res.json()) as Record<string, unknown>
  const cookie = sessionCookieOf(res)
  return { res, cookie, token: cookie.split('=')[1] ?? '', csrf: String(body.csrfToken ?? ''), body }
}

/** Stands in for the MFA step (another feature): marks the session behind a cookie as verified. */
export async function markMfaDone(t: AuthApp, cookie: string): Promise<void> {
  const id = createHash('sha256')
    .update(cookie.split('=')[1] ?? '')
    .digest()
  expect(
    await t.deps.store.sessions.rotate(id, id, { mfaVerifiedAt: t.deps.clock(), mfaMethod: 'totp' }),
  ).toBe(true)
}

export const authed = (s: { cookie: string; csrf: string }, extra: Record<string, string> = {}) => ({
  Cookie: s.cookie,
  'X-CSRF-Token': s.csrf,
  ...extra,
})

/** Moves the app's clock (deps are read at request time) by ms from now on. */
export function advanceClock(t: AuthApp, ms: number): void {
  const base = t.deps.clock().getTime()
  const started = Date.now()
  t.deps.clock = () => new Date(base + ms + (Date.now() - started))
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

export async function timed(fn: () => unknown): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}
