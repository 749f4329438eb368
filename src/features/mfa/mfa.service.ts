import { verifyPassword } from '../../crypto/password.ts'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../errors.ts'
import type { CitizenAuth } from '../../http/citizen-session.ts'
import type { MfaMethod, Passkey, TotpFactor } from '../../store/identity.types.ts'
import type { Tx } from '../../store/store.port.ts'
import type { AuditInput } from '../../store/store.types.ts'
import { enforceLimits, resetLimits } from '../identity/throttle.ts'
import { mfaErrors, texts } from './mfa.errors.ts'

export type MfaDeps = Pick<Deps, 'config' | 'log' | 'store' | 'keyring' | 'clock'>
/** What every MFA use case gets from the route: the signed-in citizen and the client address. */
export type MfaActor = { auth: CitizenAuth; clientAddress: string }

/** The citizen's second factors; recovery codes are a fallback, not a factor. */
export type Factors = { totp: TotpFactor | null; passkeys: Passkey[]; count: number }

export async function loadFactors(deps: Pick<Deps, 'store'>, citizenId: string): Promise<Factors> {
  const [totp, passkeys] = await Promise.all([
    deps.store.totp.get(citizenId),
    deps.store.passkeys.listForCitizen(citizenId),
  ])
  const confirmedTotp = totp?.confirmedAt ? 1 : 0
  return { totp, passkeys, count: confirmedTotp + passkeys.length }
}

/** Which factors are set up (shown before and after MFA: the client picks how to ask). */
export async function mfaOverview(deps: Pick<Deps, 'store'>, auth: CitizenAuth) {
  const factors = await loadFactors(deps, auth.citizen.id)
  return {
    mfaVerified: auth.session.mfaVerifiedAt !== null,
    totp: factors.totp?.confirmedAt ? { confirmedAt: factors.totp.confirmedAt.toISOString() } : null,
    passkeys: factors.passkeys.length,
    recoveryCodesRemaining: await deps.store.recoveryCodes.countUnused(auth.citizen.id),
  }
}

/**
 * A pre-MFA session may set up the first factor only. Once a factor exists, adding or removing
 * one needs a verified session (403 auth.mfa_required) and, when password is not 'skip', the
 * current password. Returns whether this is the first factor.
 */
export async function authorizeFactorChange(
  deps: MfaDeps,
  actor: MfaActor,
  password: string | undefined | 'skip',
): Promise<{ first: boolean; factors: Factors }> {
  const factors = await loadFactors(deps, actor.auth.citizen.id)
  if (factors.count === 0) return { first: true, factors }
  requireVerifiedSession(actor.auth)
  if (password !== 'skip') await checkPassword(deps, actor, password)
  return { first: false, factors }
}

export function requireVerifiedSession(auth: CitizenAuth) {
  if (auth.session.mfaVerifiedAt) return
  // The same code as requireCitizen() answers, so clients handle one case.
  throw new AppError({
    code: 'auth.mfa_required',
    status: 403,
    title: 'Forbidden',
    detail: 'Bestätigen Sie zuerst den zweiten Faktor. / Confirm the second factor first.',
  })
}

/** Checks the current password; wrong guesses count against the same throttle as codes. */
export async function checkPassword(deps: MfaDeps, actor: MfaActor, password: string | undefined) {
  if (!password) throw mfaErrors.password_required(texts.passwordRequired)
  await countAttempt(deps, actor)
  if (!(await verifyPassword(actor.auth.citizen.passwordHash, password))) {
    await audit(deps.store, actor, 'mfa.failed', { method: 'password' })
    throw mfaErrors.wrong_password(texts.wrongPassword)
  }
}

/** Counts one verification attempt per citizen and per client address; 429 after the limit, audited. */
export async function countAttempt(deps: MfaDeps, actor: MfaActor): Promise<void> {
  const { auth: a, clientAddress } = actor
  const { loginMaxAttempts, loginMaxAttemptsPerIp, windowMs } = deps.config.auth
  const limits = [
    { key: `mfa:${a.citizen.id}`, max: loginMaxAttempts, windowMs, scope: 'account' },
    { key: `mfa-ip:${clientAddress}`, max: loginMaxAttemptsPerIp, windowMs, scope: 'address' },
  ]
  await enforceLimits(deps, limits, async (limit) => {
    deps.log.warn({ citizenId: a.citizen.id, scope: limit.scope }, 'mfa attempts locked out')
    await audit(deps.store, actor, 'mfa.locked', { scope: limit.scope })
  })
}

/** After a verified factor the citizen's counter starts again (the per-address one keeps counting). */
export const forgetAttempts = (deps: MfaDeps, citizenId: string) => resetLimits(deps, [`mfa:${citizenId}`])

/** Audit entry of a citizen's MFA event: ids and method names only, never codes or secrets. */
export function audit(
  repos: Pick<Tx, 'audit'>,
  actor: MfaActor,
  action: string,
  details: Record<string, unknown> = {},
  subject?: { kind: string; id: string },
) {
  const entry: AuditInput = {
    actorKind: 'citizen',
    actorId: actor.auth.citizen.id,
    action,
    subjectKind: subject?.kind ?? 'citizen',
    subjectId: subject?.id ?? actor.auth.citizen.id,
    officeId: actor.auth.citizen.officeId,
    details,
  }
  return repos.audit.append(entry)
}

/** Marks a failed verification in the audit log and throws the given error. */
export async function failVerification(
  deps: MfaDeps,
  actor: MfaActor,
  method: MfaMethod,
  error: Error,
): Promise<never> {
  await audit(deps.store, actor, 'mfa.failed', { method })
  throw error
}

/** Audits a successful verification and resets the citizen's counter. */
export async function succeedVerification(
  deps: MfaDeps,
  actor: MfaActor,
  method: MfaMethod,
  details: Record<string, unknown> = {},
) {
  await forgetAttempts(deps, actor.auth.citizen.id)
  await audit(deps.store, actor, 'mfa.verified', { method, ...details })
}
