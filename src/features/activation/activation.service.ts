import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Deps } from '../../deps.ts'
import type { ActivationCode } from '../../store/identity.types.ts'
import type { Repos } from '../../store/store.port.ts'
import type { Citizen, SecurityLevel } from '../../store/store.types.ts'
import { enforceLimits, resetLimits } from '../identity/throttle.ts'
import { activationErrors, invalidCode } from './activation.errors.ts'

const DAY_MS = 86_400_000
const DEFAULT_VALID_DAYS = 30
const MAX_VALID_DAYS = 90
/** The issue's alphabet: every digit and capital letter (36^12 ≈ 2^62 codes). */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** 12 characters drawn with crypto.randomInt (uniform, no modulo bias). */
export function generateCode(): string {
  return Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')
}

export const formatCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}`

/** Only this keyed MAC of the normalised code is stored. */
const codeMac = (deps: Pick<Deps, 'keyring'>, normalised: string) =>
  deps.keyring.lookupMac('activation', normalised)

/** Issues a code for a customer of the office (voiding the customer's older open code); shown once. */
export async function issueActivationCode(
  deps: Pick<Deps, 'store' | 'keyring' | 'clock'>,
  input: { officeId: string; staffId: string; customerNumber: string; expiresAt?: string },
): Promise<{ code: string; expiresAt: Date }> {
  const now = deps.clock()
  const expiresAt = input.expiresAt
    ? new Date(input.expiresAt)
    : new Date(now.getTime() + DEFAULT_VALID_DAYS * DAY_MS)
  if (expiresAt <= now || expiresAt.getTime() > now.getTime() + MAX_VALID_DAYS * DAY_MS) {
    throw activationErrors.invalid_expiry(
      `Ablaufdatum muss in der Zukunft und höchstens ${MAX_VALID_DAYS} Tage entfernt liegen. / The expiry must be in the future and at most ${MAX_VALID_DAYS} days ahead.`,
    )
  }
  const code = generateCode()
  await deps.store.transaction(async (tx) => {
    const row = await tx.activationCodes.create(
      {
        id: randomUUID(),
        officeId: input.officeId,
        customerNumber: input.customerNumber,
        codeHash: codeMac(deps, code),
        expiresAt,
        createdByStaffId: input.staffId,
      },
      now,
    )
    await tx.audit.append({
      actorKind: 'staff',
      actorId: input.staffId,
      action: 'activation_code.issued',
      subjectKind: 'activation_code',
      subjectId: row.id,
      officeId: input.officeId,
      details: { expiresAt: expiresAt.toISOString() },
    })
  })
  return { code: formatCode(code), expiresAt }
}

type ActivateDeps = Pick<Deps, 'store' | 'keyring' | 'clock' | 'config' | 'log'>
export type ActivateInput = { citizen: Citizen; address: string; customerNumber: string; code: string }

/**
 * The open, unexpired code the citizen entered, after throttling (per citizen and per client
 * address) and counting a wrong entry against the customer's open code.
 */
async function checkEnteredCode(deps: ActivateDeps, input: ActivateInput): Promise<ActivationCode> {
  const { citizen } = input
  const { activationMaxAttempts, loginMaxAttemptsPerIp, windowMs } = deps.config.auth
  const limits = [
    { key: citizenLimitKey(citizen), max: activationMaxAttempts * 2, windowMs },
    { key: `activation:ip:${input.address}`, max: loginMaxAttemptsPerIp, windowMs },
  ]
  await enforceLimits(deps, limits, async () => {
    deps.log.warn({ citizenId: citizen.id, action: 'activation' }, 'activation attempts throttled')
    await auditFailure(deps.store, citizen, { reason: 'throttled' })
  })
  const open = await deps.store.activationCodes.findOpenByCustomer(input.customerNumber)
  if (!open || !timingSafeEqual(open.codeHash, codeMac(deps, input.code))) {
    await recordWrongEntry(deps, citizen, open?.id ?? null)
    throw invalidCode()
  }
  if (open.expiresAt <= deps.clock()) {
    await auditFailure(deps.store, citizen, { reason: 'expired', codeId: open.id })
    throw activationErrors.code_expired(
      `Der Freischaltcode ist am ${open.expiresAt.toISOString().slice(0, 10)} abgelaufen. Bitte fordern Sie bei Ihrem Jobcenter einen neuen an. / ` +
        'The activation code has expired. Please ask your office for a new one.',
      { extra: { expiredAt: open.expiresAt.toISOString() } },
    )
  }
  return open
}

const citizenLimitKey = (citizen: Citizen) => `activation:citizen:${citizen.id}`

/**
 * Links the citizen to the office and customer number of a correct, unexpired code and raises
 * the level to code_verified (eid stays eid). Throttled per citizen and per client address.
 */
export async function activateProfile(
  deps: ActivateDeps,
  input: ActivateInput,
): Promise<{ officeId: string; securityLevel: SecurityLevel }> {
  const { citizen } = input
  const open = await checkEnteredCode(deps, input)
  const linkedElsewhere =
    citizen.customerNumber !== null &&
    (citizen.customerNumber !== open.customerNumber || citizen.officeId !== open.officeId)
  if (linkedElsewhere) {
    throw activationErrors.already_linked(
      'Ihr Profil ist bereits mit einer anderen Kundennummer verknüpft. / Your profile is already linked to another customer number.',
    )
  }
  const holder = await deps.store.citizens.findByCustomerNumber(open.officeId, open.customerNumber)
  if (holder && holder.id !== citizen.id) {
    throw activationErrors.customer_taken(
      'Diese Kundennummer gehört bereits zu einem anderen Profil. Bitte wenden Sie sich an Ihr Jobcenter. / ' +
        'This customer number is already linked to another profile. Please contact your office.',
    )
  }
  const securityLevel: SecurityLevel = citizen.securityLevel === 'eid' ? 'eid' : 'code_verified'
  const now = deps.clock()
  await deps.store.transaction(async (tx) => {
    if (!(await tx.activationCodes.markUsed(open.id, citizen.id, now))) throw invalidCode()
    await tx.citizens.update(citizen.id, {
      officeId: open.officeId,
      customerNumber: open.customerNumber,
      securityLevel,
    })
    await tx.audit.append({
      actorKind: 'citizen',
      actorId: citizen.id,
      action: 'citizen.activated',
      subjectKind: 'citizen',
      subjectId: citizen.id,
      officeId: open.officeId,
      details: { codeId: open.id, securityLevel },
    })
  })
  await resetLimits(deps, [citizenLimitKey(citizen)])
  return { officeId: open.officeId, securityLevel }
}

/**
 * A citizen who lost every second factor signs in with the password (a pre-MFA session) and
 * enters a new code from their office: all factors and recovery codes are removed and the other
 * sessions end, so the citizen enrols a new factor. Only for the customer number already linked.
 */
export async function resetFactorsWithCode(
  deps: ActivateDeps,
  input: ActivateInput & { sessionId: Buffer },
): Promise<void> {
  const { citizen } = input
  if (!citizen.customerNumber || !citizen.officeId) {
    throw activationErrors.not_activated(
      'Ihr Profil ist noch nicht freigeschaltet; melden Sie sich an und richten Sie einen zweiten Faktor ein. / ' +
        'Your profile is not activated yet; sign in and set up a second factor.',
    )
  }
  const open = await checkEnteredCode(deps, input)
  if (open.customerNumber !== citizen.customerNumber || open.officeId !== citizen.officeId) {
    await recordWrongEntry(deps, citizen, open.id)
    throw invalidCode()
  }
  const now = deps.clock()
  const passkeys = await deps.store.passkeys.listForCitizen(citizen.id)
  await deps.store.transaction(async (tx) => {
    if (!(await tx.activationCodes.markUsed(open.id, citizen.id, now))) throw invalidCode()
    await tx.totp.delete(citizen.id)
    for (const p of passkeys) await tx.passkeys.delete(citizen.id, p.id)
    await tx.recoveryCodes.replaceAll(citizen.id, [], now)
    const ended = await tx.sessions.deleteForCitizen(citizen.id, input.sessionId)
    await tx.audit.append({
      actorKind: 'citizen',
      actorId: citizen.id,
      action: 'mfa.reset_by_office_code',
      subjectKind: 'citizen',
      subjectId: citizen.id,
      officeId: open.officeId,
      details: { codeId: open.id, passkeysRemoved: passkeys.length, sessionsEnded: ended },
    })
  })
  await resetLimits(deps, [citizenLimitKey(citizen)])
}

/** Counts the wrong entry on the customer's open code (voiding it at the limit) and audits it. */
async function recordWrongEntry(deps: ActivateDeps, citizen: Citizen, codeId: string | null) {
  if (!codeId) return auditFailure(deps.store, citizen, { reason: 'no_open_code' })
  const max = deps.config.auth.activationMaxAttempts
  await deps.store.transaction(async (tx) => {
    const attempts = await tx.activationCodes.recordFailure(codeId, max, deps.clock())
    await auditFailure(tx, citizen, { reason: 'wrong_code', codeId, attempts, voided: attempts >= max })
  })
}

const auditFailure = (repos: Pick<Repos, 'audit'>, citizen: Citizen, details: Record<string, unknown>) =>
  repos.audit
    .append({
      actorKind: 'citizen',
      actorId: citizen.id,
      action: 'citizen.activation_failed',
      subjectKind: 'citizen',
      subjectId: citizen.id,
      details,
    })
    .then(() => undefined)
