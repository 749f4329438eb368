import { verifyPassword } from '../../crypto/password.ts'
import type { Deps } from '../../deps.ts'
import type { Citizen } from '../../store/store.types.ts'
import { authErrors, texts } from './identity.errors.ts'
import { audit, emailMac, type IdentityDeps } from './identity.service.ts'
import { enforceLimits, type Limit } from './throttle.ts'

type ScopedLimit = Limit & { scope: 'account' | 'address' }

import { resetLimits } from './throttle.ts'

export type LoginInput = { email: string; password: string; address: string }

/** What the client should do next: verify one of these factors, or enrol one when there is none. */
export type MfaChoice = 'totp' | 'passkey' | 'recovery' | 'enrol'

/**
 * The password step. Throttled per account (keyed MAC of the email, so unknown addresses are
 * throttled alike) and per client address; an unknown email is verified against a dummy hash so
 * both failures take the same time and give the same 401.
 */
export async function verifyLogin(deps: IdentityDeps, input: LoginInput): Promise<Citizen> {
  const mac = emailMac(deps, input.email)
  const accountKey = `login:acct:${mac.toString('hex')}`
  const { windowMs, loginMaxAttempts, loginMaxAttemptsPerIp } = deps.config.auth
  const limits: ScopedLimit[] = [
    { scope: 'account', key: accountKey, max: loginMaxAttempts, windowMs },
    { scope: 'address', key: `login:addr:${input.address}`, max: loginMaxAttemptsPerIp, windowMs },
  ]
  const citizen = await deps.store.citizens.findByEmailLookup(mac)
  await enforceLimits(deps, limits, async (limit) => {
    const account = mac.toString('hex').slice(0, 16)
    deps.log.warn(
      limit.scope === 'account'
        ? { scope: limit.scope, account, citizenId: citizen?.id ?? null }
        : { scope: limit.scope, address: input.address },
      'login locked out',
    )
    await deps.store.audit.append({
      ...audit(citizen?.id ?? null, 'auth.login_locked', { scope: limit.scope, windowMs }),
      actorKind: 'system',
      actorId: null,
    })
  })

  const ok = await verifyPassword(citizen?.passwordHash ?? (await deps.dummyHash()), input.password)
  if (!citizen || !ok) {
    await deps.store.audit.append({
      ...audit(citizen?.id ?? null, 'auth.login_failed', {
        reason: citizen ? 'password' : 'unknown_account',
      }),
      actorKind: 'system',
      actorId: null,
    })
    throw authErrors.invalid_credentials(texts.invalidCredentials)
  }
  await resetLimits(deps, [accountKey])
  if (!citizen.emailConfirmedAt) throw authErrors.email_unconfirmed(texts.emailUnconfirmed)
  return citizen
}

/** Records a successful password step (the session is started by the route). */
export async function recordLogin(deps: Pick<Deps, 'store'>, citizenId: string): Promise<void> {
  await deps.store.audit.append(audit(citizenId, 'auth.login', { stage: 'password' }))
}

/** The second factors a citizen can use now; `enrol` alone when there is none yet. */
export async function mfaChoices(deps: Pick<Deps, 'store'>, citizenId: string): Promise<MfaChoice[]> {
  const [totp, passkeys, recovery] = await Promise.all([
    deps.store.totp.get(citizenId),
    deps.store.passkeys.listForCitizen(citizenId),
    deps.store.recoveryCodes.countUnused(citizenId),
  ])
  const out: MfaChoice[] = []
  if (totp?.confirmedAt) out.push('totp')
  if (passkeys.length > 0) out.push('passkey')
  if (out.length === 0) return ['enrol']
  if (recovery > 0) out.push('recovery')
  return out
}
