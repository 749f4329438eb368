import type {
  ActivationCode,
  EmailToken,
  EmailTokenPurpose,
  MfaMethod,
  Passkey,
  RecoveryCode,
  Session,
  TotpFactor,
} from '../identity.types.ts'
import type * as si from './schema.identity.ts'
import type * as s from './schema.ts'

/** Identity mappers: drizzle rows in, domain objects out. */
export function toEmailToken(r: typeof si.emailTokens.$inferSelect): EmailToken {
  return {
    id: r.id,
    citizenId: r.citizenId,
    purpose: r.purpose as EmailTokenPurpose,
    tokenHash: r.tokenHash,
    expiresAt: r.expiresAt,
    usedAt: r.usedAt,
    createdAt: r.createdAt,
  }
}

export function toSession(r: typeof s.sessions.$inferSelect): Session {
  return {
    id: r.id,
    citizenId: r.citizenId,
    createdAt: r.createdAt,
    lastSeenAt: r.lastSeenAt,
    expiresAt: r.expiresAt,
    mfaVerifiedAt: r.mfaVerifiedAt,
    mfaMethod: r.mfaMethod as MfaMethod | null,
    challenge: r.challenge,
  }
}

export function toTotpFactor(r: typeof si.totpFactors.$inferSelect): TotpFactor {
  return {
    citizenId: r.citizenId,
    secretEnc: r.secretEnc,
    confirmedAt: r.confirmedAt,
    lastUsedStep: r.lastUsedStep,
    createdAt: r.createdAt,
  }
}

export function toRecoveryCode(r: typeof si.recoveryCodes.$inferSelect): RecoveryCode {
  return { id: r.id, citizenId: r.citizenId, codeHash: r.codeHash, usedAt: r.usedAt, createdAt: r.createdAt }
}

export function toPasskey(r: typeof si.passkeys.$inferSelect): Passkey {
  return {
    id: r.id,
    citizenId: r.citizenId,
    publicKey: r.publicKey,
    counter: r.counter,
    transports: r.transports,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
  }
}

export function toActivationCode(r: typeof si.activationCodes.$inferSelect): ActivationCode {
  return {
    id: r.id,
    officeId: r.officeId,
    customerNumber: r.customerNumber,
    codeHash: r.codeHash,
    expiresAt: r.expiresAt,
    failedAttempts: r.failedAttempts,
    voidedAt: r.voidedAt,
    usedAt: r.usedAt,
    usedByCitizenId: r.usedByCitizenId,
    createdByStaffId: r.createdByStaffId,
    createdAt: r.createdAt,
  }
}
