import { createPublicKey, timingSafeEqual } from 'node:crypto'
import { type CryptoKey, importSPKI, errors as joseErrors, jwtVerify } from 'jose'
import type { Deps } from '../../deps.ts'
import type { Citizen } from '../../store/store.types.ts'
import { eidErrors, eidUnavailable } from './eid.errors.ts'

/** An assertion older than this (by iat) is refused even when exp is later. */
export const EID_MAX_AGE_SECONDS = 300
/** How long a nonce may take to come back through the identity provider. */
export const EID_NONCE_TTL_MS = 10 * 60_000

type Verifier = { key: CryptoKey; algorithm: 'ES256' | 'RS256'; issuer: string; audience: string }
type EidDeps = Pick<Deps, 'config' | 'keyring' | 'clock' | 'store'>

/**
 * The verifier for the configured identity provider, or null when eID is off. Exactly one
 * algorithm is accepted, chosen by the key: EC P-256 → ES256, RSA → RS256.
 */
export async function loadVerifier(config: Deps['config']): Promise<Verifier | null> {
  const { publicKeyPem, issuer, audience } = config.auth.eid
  if (!publicKeyPem || !issuer) return null
  const details = createPublicKey(publicKeyPem)
  const algorithm =
    details.asymmetricKeyType === 'rsa'
      ? 'RS256'
      : details.asymmetricKeyType === 'ec' && details.asymmetricKeyDetails?.namedCurve === 'prime256v1'
        ? 'ES256'
        : null
  if (!algorithm) throw new Error('EID_JWT_PUBLIC_KEY must be an RSA or EC P-256 public key')
  return { key: await importSPKI(publicKeyPem, algorithm), algorithm, issuer, audience }
}

/**
 * A nonce bound to the citizen and to the current session id: `<issuedAt>.<mac>`. The session
 * id changes when the eID level is granted, so a nonce (and any assertion carrying it) works
 * once, and never for another citizen or session. Nothing is stored.
 */
export function issueNonce(deps: Pick<Deps, 'keyring' | 'clock'>, citizenId: string, sessionId: Buffer) {
  const issuedAt = deps.clock().getTime()
  return {
    nonce: `${issuedAt.toString(36)}.${nonceMac(deps, citizenId, sessionId, issuedAt).toString('base64url')}`,
    expiresAt: new Date(issuedAt + EID_NONCE_TTL_MS),
  }
}

const nonceMac = (deps: Pick<Deps, 'keyring'>, citizenId: string, sessionId: Buffer, issuedAt: number) =>
  deps.keyring.lookupMac('eid-nonce', `${citizenId}:${sessionId.toString('hex')}:${issuedAt}`)

function nonceValid(
  deps: Pick<Deps, 'keyring' | 'clock'>,
  nonce: unknown,
  citizenId: string,
  sessionId: Buffer,
) {
  if (typeof nonce !== 'string') return false
  const [stamp, mac] = nonce.split('.')
  const issuedAt = Number.parseInt(stamp ?? '', 36)
  const age = deps.clock().getTime() - issuedAt
  if (!mac || !Number.isSafeInteger(issuedAt) || age < 0 || age > EID_NONCE_TTL_MS) return false
  const expected = nonceMac(deps, citizenId, sessionId, issuedAt)
  const given = Buffer.from(mac, 'base64url')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const invalid = (reason: string) =>
  eidErrors.assertion_invalid(
    'Der eID-Nachweis ist ungültig oder abgelaufen. Bitte starten Sie die eID-Anmeldung neu. / ' +
      'The eID assertion is invalid or expired. Please start the eID sign-in again.',
    { extra: { reason } },
  )

/** Verifies the identity provider's signed assertion for this citizen's session and grants level eid. */
export async function verifyEidAssertion(
  deps: EidDeps,
  verifier: Verifier | null,
  input: { citizen: Citizen; sessionId: Buffer; assertion: string },
): Promise<{ securityLevel: 'eid' }> {
  if (!verifier) throw eidUnavailable()
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(input.assertion, verifier.key, {
      algorithms: [verifier.algorithm],
      issuer: verifier.issuer,
      audience: verifier.audience,
      maxTokenAge: EID_MAX_AGE_SECONDS,
      requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
      currentDate: deps.clock(),
    }))
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) throw invalid(err.code)
    throw err
  }
  if (!nonceValid(deps, payload.nonce, input.citizen.id, input.sessionId)) throw invalid('nonce')
  await deps.store.transaction(async (tx) => {
    await tx.citizens.update(input.citizen.id, { securityLevel: 'eid' })
    await tx.audit.append({
      actorKind: 'citizen',
      actorId: input.citizen.id,
      action: 'citizen.eid_verified',
      subjectKind: 'citizen',
      subjectId: input.citizen.id,
      officeId: input.citizen.officeId,
      details: { issuer: verifier.issuer, algorithm: verifier.algorithm },
    })
  })
  return { securityLevel: 'eid' }
}
