/** Identity domain types (see identity.port.ts). Secrets arrive hashed or encrypted, never plain. */

export type EmailTokenPurpose = 'confirm' | 'reset'
export type EmailToken = {
  id: string
  citizenId: string
  purpose: EmailTokenPurpose
  tokenHash: Buffer
  expiresAt: Date
  usedAt: Date | null
  createdAt: Date
}
export type NewEmailToken = Omit<EmailToken, 'usedAt' | 'createdAt'>

export type MfaMethod = 'totp' | 'recovery' | 'passkey'
export type Session = {
  /** SHA-256 of the cookie value. */
  id: Buffer
  citizenId: string
  createdAt: Date
  lastSeenAt: Date
  /** Absolute end of the session, whatever its activity. */
  expiresAt: Date
  mfaVerifiedAt: Date | null
  mfaMethod: MfaMethod | null
  /** Pending WebAuthn challenge of this session (registration or authentication). */
  challenge: string | null
}
export type NewSession = Omit<Session, 'mfaVerifiedAt' | 'mfaMethod' | 'challenge'> & {
  mfaVerifiedAt?: Date | null
  mfaMethod?: MfaMethod | null
}

export type TotpFactor = {
  citizenId: string
  secretEnc: Buffer
  confirmedAt: Date | null
  lastUsedStep: number
  createdAt: Date
}

export type RecoveryCode = {
  id: string
  citizenId: string
  codeHash: Buffer
  usedAt: Date | null
  createdAt: Date
}

export type Passkey = {
  /** The credential id, base64url. */
  id: string
  citizenId: string
  publicKey: Buffer
  counter: number
  transports: string[]
  createdAt: Date
  lastUsedAt: Date | null
}
export type NewPasskey = Omit<Passkey, 'createdAt' | 'lastUsedAt'>

export type ActivationCode = {
  id: string
  officeId: string
  customerNumber: string
  codeHash: Buffer
  expiresAt: Date
  failedAttempts: number
  voidedAt: Date | null
  usedAt: Date | null
  usedByCitizenId: string | null
  createdByStaffId: string | null
  createdAt: Date
}
export type NewActivationCode = Omit<
  ActivationCode,
  'failedAttempts' | 'voidedAt' | 'usedAt' | 'usedByCitizenId' | 'createdAt'
>

/** The fields of a citizen that change after registration. */
export type CitizenPatch = Partial<{
  officeId: string | null
  customerNumber: string | null
  emailConfirmedAt: Date | null
  passwordHash: string
  passwordChangedAt: Date | null
  securityLevel: 'registered' | 'code_verified' | 'eid'
  onlineComm: boolean
  onlineCommChangedAt: Date | null
  consentVersion: string | null
  notifyEmail: boolean
  smsAppointments: boolean
  phoneEnc: Buffer | null
  language: 'de' | 'en'
}>

export type RateLimitHit = { count: number; resetAt: Date }
