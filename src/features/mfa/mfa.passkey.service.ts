import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import type { CitizenAuth } from '../../http/citizen-session.ts'
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
} from './mfa.service.ts'
import { accountLabel } from './mfa.totp.service.ts'

const CHALLENGE_TTL_MS = 5 * 60_000
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])
type Purpose = 'reg' | 'auth'

export type PasskeyView = { id: string; createdAt: string; lastUsedAt: string | null }

/**
 * Options for navigator.credentials.create(). The WebAuthn user id is a keyed MAC of the citizen
 * id: opaque like random bytes, but stable, so an authenticator replaces rather than duplicates.
 */
export async function passkeyRegistrationOptions(
  deps: MfaDeps,
  actor: MfaActor,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { citizen } = actor.auth
  const { factors } = await authorizeFactorChange(deps, actor, 'skip') // password comes with the response
  const { rpId, rpName } = deps.config.auth.webauthn
  const options = await generateRegistrationOptions({
    rpName,
    rpID: rpId,
    userName: accountLabel(citizen),
    userID: new Uint8Array(deps.keyring.lookupMac('webauthn-user', citizen.id)),
    attestationType: 'none',
    excludeCredentials: factors.passkeys.map((p) => ({ id: p.id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  })
  await saveChallenge(deps, actor.auth, 'reg', options.challenge)
  return options
}

/** Verifies the authenticator's attestation and stores the credential. */
export async function registerPasskey(
  deps: MfaDeps,
  actor: MfaActor,
  input: { response: RegistrationResponseJSON; password?: string },
): Promise<{ first: boolean; passkey: PasskeyView; recoveryCodes?: string[] }> {
  const { citizen, session } = actor.auth
  const { first, factors } = await authorizeFactorChange(deps, actor, input.password)
  const expectedChallenge = await takeChallenge(deps, actor.auth, 'reg')
  const { origin, rpId } = deps.config.auth.webauthn
  const verification = await verifyRegistrationResponse({
    response: input.response,
    expectedChallenge,
    expectedOrigin: origin,
    expectedRPID: rpId,
    requireUserVerification: false, // asked for as "preferred": a second factor needs presence only
  }).catch((err: unknown) => {
    deps.log.info({ err: (err as Error).message }, 'passkey registration refused')
    return null
  })
  if (!verification?.verified) throw mfaErrors.registration_failed(texts.registrationFailed)
  const { credential } = verification.registrationInfo
  if (factors.passkeys.some((p) => p.id === credential.id))
    throw mfaErrors.passkey_exists(texts.passkeyExists)
  const now = deps.clock()
  const result = await deps.store
    .transaction(async (tx) => {
      const created = await tx.passkeys.create({
        id: credential.id,
        citizenId: citizen.id,
        publicKey: Buffer.from(credential.publicKey),
        counter: credential.counter,
        transports: (credential.transports ?? []).filter((t) => TRANSPORTS.has(t)),
      })
      const needCodes = first || (await tx.recoveryCodes.countUnused(citizen.id)) === 0
      const recoveryCodes = needCodes
        ? await issueRecoveryCodes(tx, deps.keyring, citizen.id, now)
        : undefined
      const ended = await tx.sessions.deleteForCitizen(citizen.id, session.id)
      await audit(
        tx,
        actor,
        'mfa.passkey_added',
        { first, sessionsEnded: ended },
        { kind: 'passkey', id: created.id },
      )
      return { passkey: view(created), recoveryCodes }
    })
    .catch((err: unknown) => {
      // A credential id is globally unique; another account's id ends here as a key conflict.
      if (!isUniqueViolation(err)) throw err
      deps.log.warn({ citizenId: citizen.id }, 'passkey id already registered to another account')
      throw mfaErrors.passkey_exists(texts.passkeyExists)
    })
  await forgetAttempts(deps, citizen.id)
  return { first, ...result }
}

/** Options for navigator.credentials.get(), limited to the citizen's own credentials. */
export async function passkeyAuthenticationOptions(
  deps: MfaDeps,
  actor: MfaActor,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const passkeys = await deps.store.passkeys.listForCitizen(actor.auth.citizen.id)
  if (passkeys.length === 0) throw mfaErrors.no_passkeys(texts.noPasskeys)
  const options = await generateAuthenticationOptions({
    rpID: deps.config.auth.webauthn.rpId,
    allowCredentials: passkeys.map((p) => ({ id: p.id, transports: p.transports })),
    userVerification: 'preferred',
  })
  await saveChallenge(deps, actor.auth, 'auth', options.challenge)
  return options
}

/** Second step of login with a passkey: signature, challenge, origin and a growing counter are checked. */
export async function authenticateWithPasskey(
  deps: MfaDeps,
  actor: MfaActor,
  response: AuthenticationResponseJSON,
): Promise<void> {
  const { citizen } = actor.auth
  await countAttempt(deps, actor)
  const expectedChallenge = await takeChallenge(deps, actor.auth, 'auth')
  const passkey = await deps.store.passkeys.get(citizen.id, response.id)
  const fail = () => failVerification(deps, actor, 'passkey', mfaErrors.passkey_failed(texts.passkeyFailed))
  if (!passkey) return fail()
  const { origin, rpId } = deps.config.auth.webauthn
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge,
    expectedOrigin: origin,
    expectedRPID: rpId,
    credential: {
      id: passkey.id,
      publicKey: new Uint8Array(passkey.publicKey),
      counter: passkey.counter,
      transports: passkey.transports,
    },
    requireUserVerification: false,
  }).catch((err: unknown) => {
    deps.log.info({ err: (err as Error).message }, 'passkey authentication refused')
    return null
  })
  if (!verification?.verified) return fail()
  // A parallel request with the same (cloned) credential lost the race if the counter moved meanwhile.
  const won = await deps.store.transaction(async (tx) => {
    const next = verification.authenticationInfo.newCounter
    if (!(await tx.passkeys.updateCounter(passkey.id, passkey.counter, next, deps.clock()))) return false
    await audit(tx, actor, 'mfa.verified', { method: 'passkey' }, { kind: 'passkey', id: passkey.id })
    return true
  })
  if (!won) return fail()
  await forgetAttempts(deps, citizen.id)
}

export async function listPasskeys(deps: MfaDeps, auth: CitizenAuth): Promise<PasskeyView[]> {
  return (await deps.store.passkeys.listForCitizen(auth.citizen.id)).map(view)
}

/** Removes one of the citizen's passkeys (full session and password); never the last factor. */
export async function removePasskey(
  deps: MfaDeps,
  actor: MfaActor,
  input: { id: string; password: string },
): Promise<void> {
  const { citizen, session } = actor.auth
  const passkey = await deps.store.passkeys.get(citizen.id, input.id)
  if (!passkey) throw mfaErrors.passkey_not_found(texts.passkeyNotFound)
  if ((await loadFactors(deps, citizen.id)).count <= 1) throw mfaErrors.last_factor(texts.lastFactor)
  await checkPassword(deps, actor, input.password)
  await deps.store.transaction(async (tx) => {
    await tx.passkeys.delete(citizen.id, passkey.id)
    const ended = await tx.sessions.deleteForCitizen(citizen.id, session.id)
    await audit(
      tx,
      actor,
      'mfa.passkey_removed',
      { sessionsEnded: ended },
      { kind: 'passkey', id: passkey.id },
    )
  })
  await forgetAttempts(deps, citizen.id)
}

function isUniqueViolation(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true
    if (typeof e.message === 'string' && /UNIQUE constraint failed|duplicate key/.test(e.message)) return true
  }
  return false
}

const view = (p: { id: string; createdAt: Date; lastUsedAt: Date | null }): PasskeyView => ({
  id: p.id,
  createdAt: p.createdAt.toISOString(),
  lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
})

// The pending challenge carries its purpose and expiry, so a registration challenge cannot
// authenticate and an abandoned one dies after five minutes.
async function saveChallenge(deps: MfaDeps, auth: CitizenAuth, purpose: Purpose, challenge: string) {
  const value = `${purpose}:${deps.clock().getTime() + CHALLENGE_TTL_MS}:${challenge}`
  await deps.store.sessions.setChallenge(auth.session.id, value)
  auth.session.challenge = value
}

/** Reads and clears the session's challenge (single use); throws when absent, expired or for the other purpose. */
async function takeChallenge(deps: MfaDeps, auth: CitizenAuth, purpose: Purpose): Promise<string> {
  const stored = auth.session.challenge
  // Compare-and-clear: of two parallel requests with one challenge only one gets it.
  const taken = stored ? await deps.store.sessions.consumeChallenge(auth.session.id, stored) : false
  auth.session.challenge = null
  const [kind, expires, challenge] = taken ? (stored?.split(':') ?? []) : []
  if (kind !== purpose || !challenge || Number(expires) <= deps.clock().getTime()) {
    throw mfaErrors.no_challenge(texts.noChallenge)
  }
  return challenge
}
