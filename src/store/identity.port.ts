import type {
  ActivationCode,
  EmailToken,
  EmailTokenPurpose,
  NewActivationCode,
  NewEmailToken,
  NewPasskey,
  NewSession,
  Passkey,
  RateLimitHit,
  RecoveryCode,
  Session,
  TotpFactor,
} from './identity.types.ts'

/** Single-use, expiring email tokens (confirmation, password reset); only their hash is stored. */
export interface EmailTokenRepo {
  /** Stores a token hash. */
  create(token: NewEmailToken): Promise<EmailToken>
  /** Marks the unused, unexpired token with this hash and purpose used and returns it; null otherwise (atomic). */
  consume(tokenHash: Buffer, purpose: EmailTokenPurpose, now: Date): Promise<EmailToken | null>
}

/** Server-side sessions keyed by the hash of the cookie value. */
export interface SessionRepo {
  /** Stores a new session. */
  create(session: NewSession): Promise<Session>
  /** The session with this id hash, or null (expiry is the caller's rule). */
  get(id: Buffer): Promise<Session | null>
  /** Records activity for the idle timeout. */
  touch(id: Buffer, at: Date): Promise<void>
  /** Replaces a session's id (rotation on login and MFA), applying the patch; false when it no longer exists. */
  rotate(
    oldId: Buffer,
    newId: Buffer,
    patch: Partial<Pick<Session, 'mfaVerifiedAt' | 'mfaMethod' | 'lastSeenAt' | 'expiresAt'>>,
  ): Promise<boolean>
  /** Sets or clears the pending WebAuthn challenge. */
  setChallenge(id: Buffer, challenge: string | null): Promise<void>
  /** Clears the challenge only when it is still this one; false when another request took it first (atomic). */
  consumeChallenge(id: Buffer, challenge: string): Promise<boolean>
  /** Ends one session. */
  delete(id: Buffer): Promise<void>
  /** Ends every session of a citizen except the one given; returns how many ended. */
  deleteForCitizen(citizenId: string, exceptId?: Buffer): Promise<number>
}

/** One TOTP factor per citizen with replay protection by time step. */
export interface TotpRepo {
  /** Creates or replaces the (unconfirmed) factor of a citizen. */
  upsert(citizenId: string, secretEnc: Buffer, at: Date): Promise<void>
  /** The factor of a citizen, or null. */
  get(citizenId: string): Promise<TotpFactor | null>
  /** Accepts a time step only when it is newer than the last one used (atomic); confirms the factor. */
  useStep(citizenId: string, step: number, at: Date): Promise<boolean>
  /** Removes the factor. */
  delete(citizenId: string): Promise<void>
}

/** Hashed one-time recovery codes. */
export interface RecoveryCodeRepo {
  /** Replaces all codes of a citizen with these hashes. */
  replaceAll(citizenId: string, codeHashes: Buffer[], at: Date): Promise<void>
  /** Marks the unused code with this hash used; false when there is none (atomic). */
  consume(citizenId: string, codeHash: Buffer, at: Date): Promise<boolean>
  /** How many unused codes are left. */
  countUnused(citizenId: string): Promise<number>
  /** All codes of a citizen (for tests and admin views; hashes only). */
  list(citizenId: string): Promise<RecoveryCode[]>
}

/** WebAuthn credentials. */
export interface PasskeyRepo {
  /** Stores a verified credential. */
  create(passkey: NewPasskey): Promise<Passkey>
  /** The citizen's credentials. */
  listForCitizen(citizenId: string): Promise<Passkey[]>
  /** One credential of the citizen, or null. */
  get(citizenId: string, id: string): Promise<Passkey | null>
  /** Stores the new signature counter only when the stored one is still `expected`; false otherwise (atomic). */
  updateCounter(id: string, expected: number, counter: number, at: Date): Promise<boolean>
  /** Removes a credential of the citizen; false when none. */
  delete(citizenId: string, id: string): Promise<boolean>
}

/** Activation codes issued by an office; only a keyed hash of the code is stored. */
export interface ActivationCodeRepo {
  /** Stores a code and voids the customer's earlier unused codes of that office. */
  create(code: NewActivationCode, at: Date): Promise<ActivationCode>
  /** The open (unused, unvoided) code of a customer in an office, or null. */
  findOpen(officeId: string, customerNumber: string): Promise<ActivationCode | null>
  /** The open code of a customer number in any office, or null. */
  findOpenByCustomer(customerNumber: string): Promise<ActivationCode | null>
  /** Counts a wrong attempt and voids the code at maxAttempts; returns the new count (atomic). */
  recordFailure(id: string, maxAttempts: number, at: Date): Promise<number>
  /** Marks an open code used by a citizen; false when it was no longer open (atomic). */
  markUsed(id: string, citizenId: string, at: Date): Promise<boolean>
}

/** Window counters shared by every process (login, MFA and activation throttling). */
export interface RateLimitRepo {
  /**
   * Counts one hit on key and returns the window's count (atomic). A key's window opens at its
   * first counted hit and lasts windowMs; the first hit after it opens the next one.
   */
  hit(key: string, windowMs: number, now: Date): Promise<RateLimitHit>
  /** Forgets a key (after a successful login). */
  reset(key: string): Promise<void>
}

export interface IdentityRepos {
  emailTokens: EmailTokenRepo
  sessions: SessionRepo
  totp: TotpRepo
  recoveryCodes: RecoveryCodeRepo
  passkeys: PasskeyRepo
  activationCodes: ActivationCodeRepo
  rateLimits: RateLimitRepo
}
