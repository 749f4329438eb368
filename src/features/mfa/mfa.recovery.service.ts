import { randomInt } from 'node:crypto'
import type { Keyring } from '../../crypto/keyring.ts'
import type { Tx } from '../../store/store.port.ts'
import { mfaErrors, texts } from './mfa.errors.ts'
import {
  audit,
  checkPassword,
  countAttempt,
  failVerification,
  forgetAttempts,
  loadFactors,
  type MfaActor,
  type MfaDeps,
  requireVerifiedSession,
} from './mfa.service.ts'

const CODE_COUNT = 10
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** Upper case without dashes or spaces, so `abcde-fghij` and `ABCDEFGHIJ` are the same code. */
export const normaliseRecoveryCode = (code: string) => code.toUpperCase().replace(/[\s-]/g, '')

/**
 * 50 random bits per code are too few for a bare SHA-256 against someone holding the database,
 * so the stored value is a keyed MAC (the index key never lives in the database), bound to the citizen.
 */
export const recoveryCodeHash = (keyring: Keyring, citizenId: string, code: string) =>
  keyring.lookupMac('recovery', `${citizenId}:${normaliseRecoveryCode(code)}`)

/** Ten fresh codes `XXXXX-XXXXX` (RFC 4648 base32 letters), shown once. */
export function newRecoveryCodes(): string[] {
  const one = () => Array.from({ length: 10 }, () => BASE32[randomInt(32)]).join('')
  return Array.from({ length: CODE_COUNT }, () => {
    const code = one()
    return `${code.slice(0, 5)}-${code.slice(5)}`
  })
}

/** Replaces the citizen's codes inside the caller's transaction; returns the plain codes to show once. */
export async function issueRecoveryCodes(
  tx: Pick<Tx, 'recoveryCodes'>,
  keyring: Keyring,
  citizenId: string,
  at: Date,
): Promise<string[]> {
  const codes = newRecoveryCodes()
  await tx.recoveryCodes.replaceAll(
    citizenId,
    codes.map((c) => recoveryCodeHash(keyring, citizenId, c)),
    at,
  )
  return codes
}

/** Second step of login with a one-time recovery code; the code is spent. */
export async function verifyRecoveryCode(
  deps: MfaDeps,
  actor: MfaActor,
  code: string,
): Promise<{ remaining: number }> {
  await countAttempt(deps, actor)
  const citizenId = actor.auth.citizen.id
  const hash = recoveryCodeHash(deps.keyring, citizenId, code)
  const remaining = await deps.store.transaction(async (tx) => {
    if (!(await tx.recoveryCodes.consume(citizenId, hash, deps.clock()))) return null
    const left = await tx.recoveryCodes.countUnused(citizenId)
    await audit(tx, actor, 'mfa.verified', { method: 'recovery', remaining: left })
    return left
  })
  if (remaining === null)
    return failVerification(deps, actor, 'recovery', mfaErrors.invalid_code(texts.invalidCode))
  await forgetAttempts(deps, citizenId)
  return { remaining }
}

/** A new set replaces the old one (full session and password); the other sessions end. */
export async function regenerateRecoveryCodes(
  deps: MfaDeps,
  actor: MfaActor,
  password: string,
): Promise<{ recoveryCodes: string[] }> {
  requireVerifiedSession(actor.auth)
  const { citizen, session } = actor.auth
  if ((await loadFactors(deps, citizen.id)).count === 0) throw mfaErrors.no_factor(texts.noFactor)
  await checkPassword(deps, actor, password)
  const recoveryCodes = await deps.store.transaction(async (tx) => {
    const codes = await issueRecoveryCodes(tx, deps.keyring, citizen.id, deps.clock())
    const ended = await tx.sessions.deleteForCitizen(citizen.id, session.id)
    await audit(tx, actor, 'mfa.recovery_regenerated', { count: codes.length, sessionsEnded: ended })
    return codes
  })
  await forgetAttempts(deps, citizen.id)
  return { recoveryCodes }
}
