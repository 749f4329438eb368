import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Deps } from '../../deps.ts'
import { isAppError } from '../../errors.ts'
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
 * Links the citizen to the office and customer number of a correct, unexpired code and raises
 * the level to code_verified (eid stays eid). Throttled per citizen and per client address.
 */
export async function activateProfile(
  deps: ActivateDeps,
  input: ActivateInput,
): Promise<{ officeId: string; securityLevel: SecurityLevel }> {
  const { citizen } = input
  const citizenKey = `activation:citizen:${citizen.id}`
  await throttle(deps, citizen, [
    { key: citizenKey, max: deps.config.auth.activationMaxAttempts * 2, windowMs: deps.config.auth.windowMs },
    {
      key: `activation:ip:${input.address}`,
      max: deps.config.auth.loginMaxAttemptsPerIp,
      windowMs: deps.config.auth.windowMs,
    },
  ])
  const now = deps.clock()
  const open = await deps.store.activationCodes.findOpenByCustomer(input.customerNumber)
  const given = codeMac(deps, input.code)
  if (!open || !timingSafeEqual(open.codeHash, given)) {
    await recordWrongEntry(deps, citizen, open?.id ?? null)
    throw invalidCode()
  }
  if (open.expiresAt <= now) {
    await auditFailure(deps.store, citizen, { reason: 'expired', codeId: open.id })
    throw activationErrors.code_expired(
      `Der Freischaltcode ist am ${open.expiresAt.toISOString().slice(0, 10)} abgelaufen. Bitte fordern Sie bei Ihrem Jobcenter einen neuen an. / ` +
        'The activation code has expired. Please ask your office for a new one.',
      { extra: { expiredAt: open.expiresAt.toISOString() } },
    )
  }
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
  await resetLimits(deps, [citizenKey])
  return { officeId: open.officeId, securityLevel }
}

async function throttle(deps: ActivateDeps, citizen: Citizen, limits: Parameters<typeof enforceLimits>[1]) {
  try {
    await enforceLimits(deps, limits)
  } catch (err) {
    if (isAppError(err) && err.status === 429) {
      deps.log.warn({ citizenId: citizen.id, action: 'activation' }, 'activation attempts throttled')
      await auditFailure(deps.store, citizen, { reason: 'throttled' })
    }
    throw err
  }
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
