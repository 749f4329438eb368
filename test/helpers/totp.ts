import { createHash, randomBytes } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import { hashPassword } from '../../src/crypto/password.ts'
import type { AppDeps, Deps } from '../../src/deps.ts'
import { csrfTokenFor, sessionCookieName } from '../../src/http/citizen-session.ts'
import type { MfaMethod } from '../../src/store/identity.types.ts'
import type { Citizen } from '../../src/store/store.types.ts'
import type { SignedIn } from './citizen.ts'

type AppLike = {
  app: { request(path: string, init?: RequestInit): Response | Promise<Response> }
  deps: AppDeps
}

/** The code an authenticator app shows for this base32 secret at this time (SHA1, 6 digits, 30 s). */
export function totpCode(secret: string, at: Date | number = Date.now()): string {
  const timestamp = typeof at === 'number' ? at : at.getTime()
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    timestamp,
  })
}

/**
 * Replaces deps.clock with one the test moves: a TOTP time step can be used once, so a test that
 * verifies twice moves 30 s on in between instead of sleeping.
 */
export function useTestClock(deps: Pick<Deps, 'clock'>, start = Date.now()) {
  let now = start
  deps.clock = () => new Date(now)
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms
    },
  }
}

/** Gives a test citizen a real Argon2id password (createSignedInCitizen stores a dummy hash). */
export async function setCitizenPassword(deps: Pick<Deps, 'store'>, citizenId: string, password: string) {
  await deps.store.citizens.update(citizenId, { passwordHash: await hashPassword(password) })
}

/** Another session of the same citizen (as a second device would have), pre-MFA unless mfa is given. */
export async function openSession(
  deps: Pick<Deps, 'store' | 'keyring' | 'config' | 'clock'>,
  citizen: Citizen,
  mfa: MfaMethod | null = null,
): Promise<SignedIn> {
  const token = randomBytes(32).toString('base64url')
  const id = createHash('sha256').update(token).digest()
  const now = deps.clock()
  await deps.store.sessions.create({
    id,
    citizenId: citizen.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + deps.config.auth.sessionAbsoluteMs),
    mfaVerifiedAt: mfa ? now : null,
    mfaMethod: mfa,
  })
  return session(
    citizen,
    `${sessionCookieName(deps.config.auth.cookieSecure)}=${token}`,
    csrfTokenFor(deps, id),
  )
}

/** The session a response moved to (rotated cookie + the CSRF token from the JSON body). */
export function sessionAfter(deps: Pick<Deps, 'config'>, before: SignedIn, res: Response, csrfToken: string) {
  const name = sessionCookieName(deps.config.auth.cookieSecure)
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))
  const cookie = set ? (set.split(';')[0] ?? before.cookie) : before.cookie
  return session(before.citizen, cookie, csrfToken)
}

export type Enrolled = { secret: string; recoveryCodes: string[]; session: SignedIn }

/**
 * Takes a pre-MFA signed-in citizen through TOTP enrolment (setup → confirm with the current code)
 * and returns the secret, the recovery codes and the rotated, MFA-verified session.
 */
export async function enrolTotp(t: AppLike, signedIn: SignedIn): Promise<Enrolled> {
  const setup = await t.app.request('/v1/auth/mfa/totp/setup', {
    method: 'POST',
    headers: signedIn.headers(),
  })
  if (setup.status !== 200) throw new Error(`totp/setup answered ${setup.status}: ${await setup.text()}`)
  const { secret } = (await setup.json()) as { secret: string }
  const confirm = await t.app.request('/v1/auth/mfa/totp/confirm', {
    method: 'POST',
    headers: signedIn.headers(),
    body: JSON.stringify({ code: totpCode(secret, t.deps.clock()) }),
  })
  if (confirm.status !== 200)
    throw new Error(`totp/confirm answered ${confirm.status}: ${await confirm.text()}`)
  const body = (await confirm.json()) as { csrfToken: string; recoveryCodes: string[] }
  return {
    secret,
    recoveryCodes: body.recoveryCodes,
    session: sessionAfter(t.deps, signedIn, confirm, body.csrfToken),
  }
}

function session(citizen: Citizen, cookie: string, csrf: string): SignedIn {
  return {
    citizen,
    cookie,
    csrf,
    headers: (extra = {}) => ({
      Cookie: cookie,
      'X-CSRF-Token': csrf,
      'Content-Type': 'application/json',
      ...extra,
    }),
  }
}
