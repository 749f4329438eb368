import { Secret, TOTP } from 'otpauth'
import { citizenKey, openForCitizen, sealForCitizen } from '../../crypto/citizen-keys.ts'
import type { TotpFactor } from '../../store/identity.types.ts'
import type { Citizen } from '../../store/store.types.ts'
import { mfaErrors, texts } from './mfa.errors.ts'
import { issueRecoveryCodes } from './mfa.recovery.service.ts'
import {
  audit,
  authorizeFactorChange,
  checkPassword,
  countAttempt,
  failVerification,
  forgetAttempts,
  loadFactors,
  type MfaActor,
  type MfaDeps,
  requireVerifiedSession,
} from './mfa.service.ts'

// RFC 6238 as every authenticator app understands it; 160-bit secret as RFC 4226 recommends.
const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const
const SECRET_BYTES = 20
const WINDOW = 1
const AAD = { table: 'totp_factors', field: 'secret' } as const

/** The account name in the authenticator app: the customer number, never the email address. */
export const accountLabel = (citizen: Pick<Citizen, 'customerNumber'>) => citizen.customerNumber ?? 'Postfach'

/** Starts (or restarts) an unconfirmed TOTP enrolment; the secret is stored sealed under the citizen's key. */
export async function setupTotp(
  deps: MfaDeps,
  actor: MfaActor,
  password: string | undefined,
): Promise<{ otpauthUri: string; secret: string }> {
  const { citizen } = actor.auth
  const { factors } = await authorizeFactorChange(deps, actor, password)
  if (factors.totp?.confirmedAt) throw mfaErrors.totp_exists(texts.totpExists)
  const secret = new Secret({ size: SECRET_BYTES })
  const dek = citizenKey(deps.keyring, citizen)
  const sealed = sealForCitizen(dek, AAD.table, citizen.id, AAD.field, Buffer.from(secret.bytes))
  await deps.store.totp.upsert(citizen.id, sealed, deps.clock())
  const totp = new TOTP({ issuer: 'Postkorb', label: accountLabel(citizen), secret, ...TOTP_PARAMS })
  return { otpauthUri: totp.toString(), secret: secret.base32 }
}

/**
 * Confirms the pending TOTP with its first code. As the first factor it also verifies the
 * session and issues recovery codes; as an added factor it ends the other sessions.
 */
export async function confirmTotp(
  deps: MfaDeps,
  actor: MfaActor,
  code: string,
): Promise<{ first: boolean; recoveryCodes?: string[] }> {
  const { citizen, session } = actor.auth
  const factors = await loadFactors(deps, citizen.id)
  const pending = factors.totp
  if (!pending || pending.confirmedAt) throw mfaErrors.totp_not_pending(texts.totpNotPending)
  const first = factors.count === 0
  if (!first) requireVerifiedSession(actor.auth) // the password was checked by setup
  await countAttempt(deps, actor)
  const step = matchingStep(deps, citizen, pending, code)
  if (step === null) return failVerification(deps, actor, 'totp', mfaErrors.invalid_code(texts.invalidCode))
  const now = deps.clock()
  const result = await deps.store.transaction(async (tx) => {
    if (!(await tx.totp.useStep(citizen.id, step, now))) return null
    const needCodes = first || (await tx.recoveryCodes.countUnused(citizen.id)) === 0
    const recoveryCodes = needCodes ? await issueRecoveryCodes(tx, deps.keyring, citizen.id, now) : undefined
    const ended = await tx.sessions.deleteForCitizen(citizen.id, session.id)
    await audit(tx, actor, 'mfa.totp_enrolled', { first, sessionsEnded: ended })
    return { recoveryCodes }
  })
  if (!result) return failVerification(deps, actor, 'totp', mfaErrors.code_reused(texts.codeReused))
  await forgetAttempts(deps, citizen.id)
  return { first, ...result }
}

/** Second step of login with the authenticator app; a used time step is refused (replay), across sessions. */
export async function verifyTotp(deps: MfaDeps, actor: MfaActor, code: string): Promise<void> {
  const { citizen } = actor.auth
  const factor = await deps.store.totp.get(citizen.id)
  if (!factor?.confirmedAt) throw mfaErrors.totp_not_set_up(texts.totpNotSetUp)
  await countAttempt(deps, actor)
  const step = matchingStep(deps, citizen, factor, code)
  if (step === null) return failVerification(deps, actor, 'totp', mfaErrors.invalid_code(texts.invalidCode))
  const accepted = await deps.store.transaction(async (tx) => {
    if (!(await tx.totp.useStep(citizen.id, step, deps.clock()))) return false
    await audit(tx, actor, 'mfa.verified', { method: 'totp' })
    return true
  })
  if (!accepted) return failVerification(deps, actor, 'totp', mfaErrors.code_reused(texts.codeReused))
  await forgetAttempts(deps, citizen.id)
}

/** Removes the authenticator app (full session and password); refused when it is the last factor. */
export async function removeTotp(deps: MfaDeps, actor: MfaActor, password: string): Promise<void> {
  requireVerifiedSession(actor.auth)
  const { citizen, session } = actor.auth
  const factors = await loadFactors(deps, citizen.id)
  if (!factors.totp) throw mfaErrors.totp_not_set_up(texts.totpNotSetUp)
  const confirmed = factors.totp.confirmedAt !== null
  if (confirmed && factors.count === 1) throw mfaErrors.last_factor(texts.lastFactor)
  await checkPassword(deps, actor, password)
  await deps.store.transaction(async (tx) => {
    await tx.totp.delete(citizen.id)
    const ended = await tx.sessions.deleteForCitizen(citizen.id, session.id)
    await audit(tx, actor, 'mfa.totp_removed', { confirmed, sessionsEnded: ended })
  })
  await forgetAttempts(deps, citizen.id)
}

/** The time step the code belongs to (±1 step for clock drift), or null for a wrong code. */
function matchingStep(deps: MfaDeps, citizen: Citizen, factor: TotpFactor, code: string): number | null {
  const raw = openForCitizen(
    citizenKey(deps.keyring, citizen),
    AAD.table,
    citizen.id,
    AAD.field,
    factor.secretEnc,
  )
  const secret = new Secret({ buffer: new Uint8Array(raw).buffer })
  const timestamp = deps.clock().getTime()
  const delta = TOTP.validate({ token: code, secret, timestamp, window: WINDOW, ...TOTP_PARAMS })
  if (delta === null) return null
  return TOTP.counter({ period: TOTP_PARAMS.period, timestamp }) + delta
}
