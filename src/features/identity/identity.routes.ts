import { type Context, Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import {
  citizenOf,
  csrfTokenFor,
  endSession,
  requireCitizen,
  rotateSession,
  startSession,
} from '../../http/citizen-session.ts'
import { clientAddress } from '../../http/client-address.ts'
import { jsonBody } from '../../http/json-body.ts'
import {
  confirmEmailInput,
  loginInput,
  passwordChangeInput,
  preferredLanguage,
  registerInput,
  resetInput,
  resetRequestInput,
} from './identity.schemas.ts'
import { audit, confirmEmail, identityContext, register } from './identity.service.ts'
import { mfaChoices, recordLogin, verifyLogin } from './login.service.ts'
import { changePassword, requestPasswordReset, resetPassword } from './password.service.ts'

const checkInbox = {
  status: 'accepted',
  detail:
    'Wenn die Angaben stimmen, erhalten Sie gleich eine E-Mail. Bitte prüfen Sie Ihr Postfach. / If the details are right, you will receive an email shortly. Please check your inbox.',
} as const

/** Registration, email confirmation, the password step of the login, sessions and passwords. */
export function identityRoutes(deps: AppDeps) {
  const ctx = identityContext(deps)
  const address = (c: Context<AppEnv>) => clientAddress(c, deps.config.http.trustProxy)

  /** A new pre-MFA session; a session the request still carried ends (its id must not survive a login). */
  const freshSession = async (c: Context<AppEnv>, citizenId: string) => {
    const previous = c.get('auth')
    if (previous) await deps.store.sessions.delete(previous.session.id)
    const { csrfToken } = await startSession(deps, c, citizenId)
    return { stage: 'mfa' as const, mfaMethods: await mfaChoices(deps, citizenId), csrfToken }
  }

  return new Hono<AppEnv>()
    .post('/v1/auth/register', async (c) => {
      const input = await jsonBody(c, registerInput)
      const language = preferredLanguage(c.req.header('accept-language'))
      await register(ctx, { ...input, language, address: address(c) })
      return c.json(checkInbox, 202)
    })
    .post('/v1/auth/confirm-email', async (c) => {
      const { token } = await jsonBody(c, confirmEmailInput)
      await confirmEmail(ctx, token)
      return c.json({ status: 'confirmed' })
    })
    .get('/v1/auth/confirm-email', async (c) => {
      const { token } = confirmEmailInput.parse({ token: c.req.query('token') })
      await confirmEmail(ctx, token)
      return c.json({ status: 'confirmed' })
    })
    .post('/v1/auth/login', async (c) => {
      const input = await jsonBody(c, loginInput)
      const citizen = await verifyLogin(ctx, { ...input, address: address(c) })
      const body = await freshSession(c, citizen.id)
      await recordLogin(deps, citizen.id)
      return c.json(body)
    })
    .get('/v1/auth/session', requireCitizen({ mfa: false }), async (c) => {
      const { session, citizen } = citizenOf(c)
      const complete = session.mfaVerifiedAt !== null
      return c.json({
        stage: complete ? ('complete' as const) : ('mfa' as const),
        ...(complete ? { mfaMethod: session.mfaMethod } : { mfaMethods: await mfaChoices(deps, citizen.id) }),
        csrfToken: csrfTokenFor(deps, session.id),
        securityLevel: citizen.securityLevel,
        expiresAt: session.expiresAt.toISOString(),
      })
    })
    .post('/v1/auth/logout', async (c) => {
      const auth = c.get('auth')
      if (auth) await deps.store.audit.append(audit(auth.citizen.id, 'auth.logout'))
      await endSession(deps, c)
      return c.body(null, 204)
    })
    .post('/v1/auth/password', requireCitizen(), async (c) => {
      const auth = citizenOf(c)
      const input = await jsonBody(c, passwordChangeInput)
      await changePassword(ctx, { ...input, citizen: auth.citizen, sessionId: auth.session.id })
      const { csrfToken } = await rotateSession(deps, c, auth, {})
      return c.json({ status: 'changed', csrfToken })
    })
    .post('/v1/auth/password-reset/request', async (c) => {
      const { email } = await jsonBody(c, resetRequestInput)
      await requestPasswordReset(ctx, { email, address: address(c) })
      return c.json(checkInbox, 202)
    })
    .post('/v1/auth/password-reset', async (c) => {
      const input = await jsonBody(c, resetInput)
      const citizenId = await resetPassword(ctx, input)
      return c.json(await freshSession(c, citizenId))
    })
}
