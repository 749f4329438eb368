import { randomBytes, randomUUID } from 'node:crypto'
import { identityMails } from '../../../templates/mail/identity.ts'
import type { MailText } from '../../../templates/mail/types.ts'
import { citizenKey, newCitizenKey, openForCitizen, sealForCitizen } from '../../crypto/citizen-keys.ts'
import { hashPassword } from '../../crypto/password.ts'
import { hashToken } from '../../crypto/tokens.ts'
import type { Deps } from '../../deps.ts'
import type { EmailTokenPurpose } from '../../store/identity.types.ts'
import type { Citizen } from '../../store/store.types.ts'
import { identityErrors, passwordRejected, texts } from './identity.errors.ts'
import { createPasswordPolicy, type PasswordPolicy } from './password-policy.ts'
import { enforceLimits } from './throttle.ts'

/** What the identity use cases need: the deps plus the process-wide password policy. */
export type IdentityDeps = Pick<Deps, 'config' | 'log' | 'store' | 'keyring' | 'clock' | 'mailer'> & {
  passwords: PasswordPolicy
  /** An Argon2id hash of a random password: unknown emails are verified against it (same time). */
  dummyHash: () => Promise<string>
}

export const CONFIRM_TTL_MS = 24 * 3_600_000
export const RESET_TTL_MS = 3_600_000
/** Version of the terms and email consent the registration form shows. */
export const CONSENT_VERSION = '2026-01'

/**
 * Builds the identity context once per app: the zxcvbn dictionaries and the dummy hash load
 * lazily. It delegates to deps rather than copying them, so a test that swaps deps.clock is seen.
 */
export function identityContext(deps: Omit<IdentityDeps, 'passwords' | 'dummyHash'>): IdentityDeps {
  let dummy: Promise<string> | undefined
  const ctx = Object.create(deps) as IdentityDeps
  ctx.passwords = createPasswordPolicy({ minScore: deps.config.auth.passwordMinScore })
  ctx.dummyHash = () => {
    dummy ??= hashPassword(randomBytes(32).toString('base64url'))
    return dummy
  }
  return ctx
}

export const emailMac = (deps: Pick<Deps, 'keyring'>, email: string) => deps.keyring.lookupMac('email', email)

/** The local part and its pieces ("max.mustermann" → also "max", "mustermann") for zxcvbn. */
export const emailWords = (email: string) => {
  const local = email.split('@')[0] ?? ''
  return [local, ...local.split(/[._+-]/).filter((w) => w.length >= 3)]
}

export const citizenEmail = (deps: Pick<Deps, 'keyring'>, c: Citizen) =>
  openForCitizen(citizenKey(deps.keyring, c), 'citizens', c.id, 'email', c.emailEnc).toString('utf8')

/**
 * Sends after the answer: the mail's latency must not tell known from unknown addresses apart.
 * Failures are logged without the recipient (transport errors can quote it, so no message either).
 */
export function mailLater(
  deps: Pick<IdentityDeps, 'mailer' | 'log'>,
  to: string,
  mail: MailText,
  kind: string,
) {
  void deps.mailer.send({ to, ...mail }).catch((err: { code?: unknown; responseCode?: unknown }) => {
    deps.log.error({ mail: kind, code: err?.code, responseCode: err?.responseCode }, 'mail not sent')
  })
}

/** A single-use email token: 32 random bytes for the link, only its SHA-256 in the store. */
export function newEmailToken(deps: Pick<Deps, 'clock'>, citizenId: string, purpose: EmailTokenPurpose) {
  const token = randomBytes(32).toString('base64url')
  const ttl = purpose === 'confirm' ? CONFIRM_TTL_MS : RESET_TTL_MS
  return {
    token,
    row: {
      id: randomUUID(),
      citizenId,
      purpose,
      tokenHash: hashToken(token),
      expiresAt: new Date(deps.clock().getTime() + ttl),
    },
  }
}

export type RegisterInput = {
  email: string
  password: string
  passwordRepeat: string
  language: 'de' | 'en'
  address: string
}

/**
 * Registers a new citizen, or, for a known address, mails its owner instead: a new confirmation
 * link while unconfirmed, else a "someone tried to register" notice. Both paths check the policy,
 * hash, write one transaction and queue one mail, so the answer and its timing are the same.
 */
export async function register(deps: IdentityDeps, input: RegisterInput): Promise<void> {
  const { email } = input
  const mac = emailMac(deps, email)
  const { windowMs, loginMaxAttempts, loginMaxAttemptsPerIp } = deps.config.auth
  const throttled = async () => deps.log.warn({ action: 'register' }, 'registration throttled')
  const addressLimit = `register:addr:${input.address}`
  await enforceLimits(
    deps,
    [{ scope: 'address', key: addressLimit, max: loginMaxAttemptsPerIp, windowMs }],
    throttled,
  )
  const issues = deps.passwords.check(input.password, input.passwordRepeat, emailWords(email))
  if (issues.length > 0) throw passwordRejected(issues)
  // after the policy, so fixing a rejected password does not count; this caps mails to one mailbox
  const accountLimit = `register:acct:${mac.toString('hex')}`
  await enforceLimits(
    deps,
    [{ scope: 'account', key: accountLimit, max: loginMaxAttempts, windowMs }],
    throttled,
  )
  const passwordHash = await hashPassword(input.password)
  const link = (token: string) =>
    `${deps.config.http.publicUrl}/v1/auth/confirm-email?token=${encodeURIComponent(token)}`
  const hours = CONFIRM_TTL_MS / 3_600_000

  const existing = await deps.store.citizens.findByEmailLookup(mac)
  if (existing) {
    const mails = identityMails(existing.language)
    if (existing.emailConfirmedAt) {
      await deps.store.audit.append(audit(existing.id, 'citizen.register_repeated', { confirmed: true }))
      mailLater(
        deps,
        email,
        mails.registrationAttempt({ loginUrl: `${deps.config.http.publicUrl}/` }),
        'register_known',
      )
      return
    }
    const { token, row } = newEmailToken(deps, existing.id, 'confirm')
    await deps.store.transaction(async (tx) => {
      await tx.emailTokens.create(row)
      await tx.audit.append(audit(existing.id, 'citizen.register_repeated', { confirmed: false }))
    })
    mailLater(deps, email, mails.confirmEmail({ link: link(token), hours }), 'confirm_email')
    return
  }

  const id = randomUUID()
  const { dek, dekWrapped, dekKeyId } = newCitizenKey(deps.keyring, id)
  const { token, row } = newEmailToken(deps, id, 'confirm')
  await deps.store.transaction(async (tx) => {
    await tx.citizens.create({
      id,
      officeId: null,
      customerNumber: null,
      emailLookup: mac,
      emailEnc: sealForCitizen(dek, 'citizens', id, 'email', email),
      passwordHash,
      passwordChangedAt: deps.clock(),
      securityLevel: 'registered',
      onlineComm: false,
      notifyEmail: true,
      language: input.language,
      dekWrapped,
      dekKeyId,
    })
    await tx.emailTokens.create(row)
    await tx.audit.append(
      audit(id, 'citizen.registered', { language: input.language, termsVersion: CONSENT_VERSION }),
    )
  })
  mailLater(
    deps,
    email,
    identityMails(input.language).confirmEmail({ link: link(token), hours }),
    'confirm_email',
  )
}

/** Confirms the address behind a single-use confirmation token; anything else is one 400. */
export async function confirmEmail(deps: IdentityDeps, token: string): Promise<void> {
  const now = deps.clock()
  await deps.store.transaction(async (tx) => {
    const used = await tx.emailTokens.consume(hashToken(token), 'confirm', now)
    if (!used) throw identityErrors.token_invalid(texts.tokenInvalid)
    const citizen = await tx.citizens.get(used.citizenId)
    if (!citizen) throw identityErrors.token_invalid(texts.tokenInvalid)
    if (!citizen.emailConfirmedAt) await tx.citizens.update(citizen.id, { emailConfirmedAt: now })
    await tx.audit.append(audit(citizen.id, 'citizen.email_confirmed'))
  })
}

/** An audit entry a citizen caused about their own account (ids and codes only). */
export const audit = (citizenId: string | null, action: string, details?: Record<string, unknown>) => ({
  actorKind: 'citizen' as const,
  actorId: citizenId,
  action,
  subjectKind: 'citizen',
  subjectId: citizenId,
  ...(details ? { details } : {}),
})
