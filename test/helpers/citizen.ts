import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { sealField } from '../../src/crypto/envelope.ts'
import type { Deps } from '../../src/deps.ts'
import { csrfTokenFor, sessionCookieName } from '../../src/http/citizen-session.ts'
import type { MfaMethod } from '../../src/store/identity.types.ts'
import type { Citizen, SecurityLevel } from '../../src/store/store.types.ts'

export type SignedIn = {
  citizen: Citizen
  cookie: string
  csrf: string
  /** Headers for an authenticated JSON request (cookie + CSRF token). */
  headers(extra?: Record<string, string>): Record<string, string>
}

type Options = {
  email?: string
  level?: SecurityLevel
  officeId?: string | null
  customerNumber?: string | null
  mfa?: MfaMethod | null
}

/**
 * A citizen row plus a live session written through the store, for tests of routes behind the
 * sign-in (the sign-in flow itself is tested end to end in test/http/identity.*).
 */
export async function createSignedInCitizen(
  deps: Pick<Deps, 'store' | 'keyring' | 'config' | 'clock'>,
  opts: Options = {},
): Promise<SignedIn> {
  const id = randomUUID()
  const email = opts.email ?? `citizen-${id.slice(0, 8)}@example.org`
  const dek = randomBytes(32)
  const { wrapped, keyId } = deps.keyring.wrapDek(id, dek)
  const level = opts.level ?? 'code_verified'
  const citizen = await deps.store.citizens.create({
    id,
    officeId: opts.officeId ?? null,
    customerNumber: opts.customerNumber ?? null,
    emailLookup: deps.keyring.lookupMac('email', email),
    emailEnc: sealField(dek, email, { table: 'citizens', rowId: id, field: 'email', keyId: 'dek' }),
    emailConfirmedAt: deps.clock(),
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$not-a-real-hash',
    securityLevel: level,
    onlineComm: false,
    notifyEmail: true,
    language: 'de',
    dekWrapped: wrapped,
    dekKeyId: keyId,
  })
  return openSession(deps, citizen, opts.mfa === undefined ? 'totp' : opts.mfa)
}

/** A live session of the citizen (as a device would have), pre-MFA when mfa is null. */
export async function openSession(
  deps: Pick<Deps, 'store' | 'keyring' | 'config' | 'clock'>,
  citizen: Citizen,
  mfa: MfaMethod | null = null,
): Promise<SignedIn> {
  const token = randomBytes(32).toString('base64url')
  const id = createHash('sha256').update(token).digest()
  const now = deps.clock()
  await deps.store.sessions.create({
    id,
    citizenId: citizen.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + deps.config.auth.sessionAbsoluteMs),
    mfaVerifiedAt: mfa ? now : null,
    mfaMethod: mfa,
  })
  return signedIn(
    citizen,
    `${sessionCookieName(deps.config.auth.cookieSecure)}=${token}`,
    csrfTokenFor(deps, id),
  )
}

/** The request headers of a session: cookie, CSRF token and JSON. */
export function signedIn(citizen: Citizen, cookie: string, csrf: string): SignedIn {
  return {
    citizen,
    cookie,
    csrf,
    headers: (extra = {}) => ({
      Cookie: cookie,
      'X-CSRF-Token': csrf,
      'Content-Type': 'application/json',
      ...extra,
    }),
  }
}
