import { identityMails } from '../../../templates/mail/identity.ts'
import { hashPassword, verifyPassword } from '../../crypto/password.ts'
import { hashToken } from '../../crypto/tokens.ts'
import type { Deps } from '../../deps.ts'
import type { Citizen } from '../../store/store.types.ts'
import { identityErrors, passwordRejected, texts } from './identity.errors.ts'
import {
  audit,
  citizenEmail,
  emailMac,
  emailWords,
  type IdentityDeps,
  mailLater,
  newEmailToken,
  RESET_TTL_MS,
} from './identity.service.ts'
import { enforceLimits } from './throttle.ts'

/**
 * Re-authentication for sensitive changes (password, factors): throttled like the login per
 * account, 401 identity.wrong_password when wrong. Other features call this too.
 */
export async function verifyCurrentPassword(
  deps: Pick<Deps, 'store' | 'clock' | 'config' | 'log'>,
  citizen: Citizen,
  password: string,
): Promise<void> {
  const { windowMs, loginMaxAttempts } = deps.config.auth
  const key = `reauth:acct:${citizen.id}`
  await enforceLimits(deps, [{ scope: 'account', key, max: loginMaxAttempts, windowMs }], async () => {
    deps.log.warn({ scope: 'account', citizenId: citizen.id }, 're-authentication locked out')
    await deps.store.audit.append(audit(citizen.id, 'auth.reauth_locked', { windowMs }))
  })
  if (await verifyPassword(citizen.passwordHash, password)) return
  await deps.store.audit.append(audit(citizen.id, 'auth.reauth_failed'))
  throw identityErrors.wrong_password(texts.wrongPassword)
}

export type ChangePasswordInput = {
  citizen: Citizen
  sessionId: Buffer
  currentPassword: string
  password: string
  passwordRepeat: string
}

/** Sets a new password after the current one; every other session ends (the route rotates this one). */
export async function changePassword(deps: IdentityDeps, input: ChangePasswordInput): Promise<void> {
  const { citizen } = input
  await verifyCurrentPassword(deps, citizen, input.currentPassword)
  const email = citizenEmail(deps, citizen)
  const issues = deps.passwords.check(input.password, input.passwordRepeat, emailWords(email))
  if (issues.length > 0) throw passwordRejected(issues)
  const passwordHash = await hashPassword(input.password)
  const now = deps.clock()
  await deps.store.transaction(async (tx) => {
    await tx.citizens.update(citizen.id, { passwordHash, passwordChangedAt: now })
    const ended = await tx.sessions.deleteForCitizen(citizen.id, input.sessionId)
    await tx.audit.append(audit(citizen.id, 'auth.password_changed', { endedSessions: ended }))
  })
  mailLater(
    deps,
    email,
    identityMails(citizen.language).passwordChanged({ reason: 'change' }),
    'password_changed',
  )
}

/**
 * Mails a 1-hour single-use reset link to a known address; unknown addresses get the same
 * answer (the mail leaves after the answer). Throttled per address and per client address.
 */
export async function requestPasswordReset(
  deps: IdentityDeps,
  input: { email: string; address: string },
): Promise<void> {
  const mac = emailMac(deps, input.email)
  const { windowMs, loginMaxAttempts, loginMaxAttemptsPerIp } = deps.config.auth
  await enforceLimits(
    deps,
    [
      { scope: 'account', key: `reset:acct:${mac.toString('hex')}`, max: loginMaxAttempts, windowMs },
      { scope: 'address', key: `reset:addr:${input.address}`, max: loginMaxAttemptsPerIp, windowMs },
    ],
    async (limit) =>
      deps.log.warn({ scope: limit.scope, action: 'password_reset' }, 'password reset throttled'),
  )
  const citizen = await deps.store.citizens.findByEmailLookup(mac)
  if (!citizen) {
    await deps.store.audit.append({
      ...audit(null, 'auth.password_reset_requested', { known: false }),
      actorKind: 'system',
    })
    return
  }
  const { token, row } = newEmailToken(deps, citizen.id, 'reset')
  await deps.store.transaction(async (tx) => {
    await tx.emailTokens.create(row)
    await tx.audit.append(audit(citizen.id, 'auth.password_reset_requested', { known: true }))
  })
  // The page that reads the fragment comes with the web inbox; the fragment never reaches server logs.
  const link = `${deps.config.http.publicUrl}/password-reset#token=${token}`
  const mail = identityMails(citizen.language).passwordReset({ link, token, minutes: RESET_TTL_MS / 60_000 })
  mailLater(deps, input.email, mail, 'password_reset')
}

/**
 * Sets a new password with a reset token and ends every session. The token is consumed in the
 * same transaction as the change, so a rejected password leaves it usable. Returns the citizen
 * id; the route starts a new session that still needs the second factor.
 */
export async function resetPassword(
  deps: IdentityDeps,
  input: { token: string; password: string; passwordRepeat: string },
): Promise<string> {
  // checked outside too, so a weak password is refused without touching the token or holding the writer
  const early = deps.passwords.check(input.password, input.passwordRepeat, [])
  if (early.length > 0) throw passwordRejected(early)
  const passwordHash = await hashPassword(input.password)
  const now = deps.clock()
  const citizen = await deps.store.transaction(async (tx) => {
    const used = await tx.emailTokens.consume(hashToken(input.token), 'reset', now)
    const found = used ? await tx.citizens.get(used.citizenId) : null
    if (!found) throw identityErrors.token_invalid(texts.tokenInvalid)
    const email = citizenEmail(deps, found)
    const issues = deps.passwords.check(input.password, input.passwordRepeat, emailWords(email))
    if (issues.length > 0) throw passwordRejected(issues)
    // the reset link proves control of the mailbox, so it also confirms the address
    await tx.citizens.update(found.id, {
      passwordHash,
      passwordChangedAt: now,
      ...(found.emailConfirmedAt ? {} : { emailConfirmedAt: now }),
    })
    const ended = await tx.sessions.deleteForCitizen(found.id)
    await tx.audit.append(audit(found.id, 'auth.password_reset', { endedSessions: ended }))
    return { ...found, email }
  })
  mailLater(
    deps,
    citizen.email,
    identityMails(citizen.language).passwordChanged({ reason: 'reset' }),
    'password_changed',
  )
  return citizen.id
}
