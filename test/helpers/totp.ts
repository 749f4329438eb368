import { Secret, TOTP } from 'otpauth'
import { hashPassword } from '../../src/crypto/password.ts'
import type { AppDeps, Deps } from '../../src/deps.ts'
import { sessionCookieName } from '../../src/http/citizen-session.ts'
import { openSession, type SignedIn, signedIn } from './citizen.ts'

export { openSession }

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

/** The session a response moved to (rotated cookie + the CSRF token from the JSON body). */
export function sessionAfter(deps: Pick<Deps, 'config'>, before: SignedIn, res: Response, csrfToken: string) {
  const name = sessionCookieName(deps.config.auth.cookieSecure)
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))
  const cookie = set ? (set.split(';')[0] ?? before.cookie) : before.cookie
  return signedIn(before.citizen, cookie, csrfToken)
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
