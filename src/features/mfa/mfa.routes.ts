import { type Context, Hono } from 'hono'
import type { z } from 'zod'
import type { AppDeps } from '../../deps.ts'
import { httpErrors } from '../../errors.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { citizenOf, csrfTokenFor, requireCitizen, rotateSession } from '../../http/citizen-session.ts'
import { clientAddress } from '../../http/client-address.ts'
import type { MfaMethod } from '../../store/identity.types.ts'
import {
  authenticateWithPasskey,
  listPasskeys,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  registerPasskey,
  removePasskey,
} from './mfa.passkey.service.ts'
import { regenerateRecoveryCodes, verifyRecoveryCode } from './mfa.recovery.service.ts'
import {
  asAuthentication,
  asRegistration,
  authenticationInput,
  optionalPasswordInput,
  passkeyIdParam,
  passwordInput,
  recoveryCodeInput,
  registrationInput,
  totpCodeInput,
} from './mfa.schemas.ts'
import { type MfaActor, mfaOverview } from './mfa.service.ts'
import { confirmTotp, removeTotp, setupTotp, verifyTotp } from './mfa.totp.service.ts'

type C = Context<AppEnv>

/**
 * /v1/auth/mfa: enrolment and verification of the second factor. Every route admits a pre-MFA
 * session; the services decide what it may do (first enrolment, verification), the rest needs MFA.
 */
export function mfaRoutes(deps: AppDeps) {
  const preMfa = requireCitizen({ mfa: false })
  const full = requireCitizen()
  const actor = (c: C): MfaActor => ({
    auth: citizenOf(c),
    clientAddress: clientAddress(c, deps.config.http.trustProxy),
  })

  // A verified factor rotates the session id: a cookie planted before MFA is worthless after it.
  const verified = async (c: C, method: MfaMethod, extra: Record<string, unknown> = {}) => {
    const auth = citizenOf(c)
    const { csrfToken } = await rotateSession(deps, c, auth, {
      mfaVerifiedAt: deps.clock(),
      mfaMethod: method,
    })
    return { mfaVerified: true, mfaMethod: method, csrfToken, ...extra }
  }
  const unchanged = (c: C) => ({ mfaVerified: true, csrfToken: csrfTokenFor(deps, citizenOf(c).session.id) })

  return new Hono<AppEnv>()
    .get('/', preMfa, async (c) => c.json(await mfaOverview(deps, citizenOf(c))))
    .post('/totp/setup', preMfa, async (c) => {
      const input = await body(c, optionalPasswordInput)
      return c.json(await setupTotp(deps, actor(c), input.password))
    })
    .post('/totp/confirm', preMfa, async (c) => {
      const { code } = await body(c, totpCodeInput)
      const { first, recoveryCodes } = await confirmTotp(deps, actor(c), code)
      const session = first ? await verified(c, 'totp') : unchanged(c)
      return c.json({ ...session, ...(recoveryCodes ? { recoveryCodes } : {}) })
    })
    .post('/totp/verify', preMfa, async (c) => {
      const { code } = await body(c, totpCodeInput)
      await verifyTotp(deps, actor(c), code)
      return c.json(await verified(c, 'totp'))
    })
    .delete('/totp', full, async (c) => {
      const { password } = await body(c, passwordInput)
      await removeTotp(deps, actor(c), password)
      return c.body(null, 204)
    })
    .post('/recovery/verify', preMfa, async (c) => {
      const { code } = await body(c, recoveryCodeInput)
      const { remaining } = await verifyRecoveryCode(deps, actor(c), code)
      return c.json(await verified(c, 'recovery', { recoveryCodesRemaining: remaining }))
    })
    .post('/recovery/regenerate', full, async (c) => {
      const { password } = await body(c, passwordInput)
      return c.json(await regenerateRecoveryCodes(deps, actor(c), password))
    })
    .post('/passkeys/registration-options', preMfa, async (c) =>
      c.json(await passkeyRegistrationOptions(deps, actor(c))),
    )
    .post('/passkeys/registration', preMfa, async (c) => {
      const input = await body(c, registrationInput)
      const result = await registerPasskey(deps, actor(c), {
        response: asRegistration(input.response),
        password: input.password,
      })
      const session = result.first ? await verified(c, 'passkey') : unchanged(c)
      const codes = result.recoveryCodes ? { recoveryCodes: result.recoveryCodes } : {}
      return c.json({ ...session, passkey: result.passkey, ...codes }, 201)
    })
    .post('/passkeys/authentication-options', preMfa, async (c) =>
      c.json(await passkeyAuthenticationOptions(deps, actor(c))),
    )
    .post('/passkeys/authentication', preMfa, async (c) => {
      const input = await body(c, authenticationInput)
      await authenticateWithPasskey(deps, actor(c), asAuthentication(input.response))
      return c.json(await verified(c, 'passkey'))
    })
    .get('/passkeys', full, async (c) => c.json({ passkeys: await listPasskeys(deps, citizenOf(c)) }))
    .delete('/passkeys/:id', full, async (c) => {
      const { id } = passkeyIdParam.parse(c.req.param())
      const { password } = await body(c, passwordInput)
      await removePasskey(deps, actor(c), { id, password })
      return c.body(null, 204)
    })
}

/** The JSON body validated by schema (422 with the field issues); an empty body counts as {}. */
async function body<S extends z.ZodType>(c: C, schema: S): Promise<z.output<S>> {
  const text = await c.req.text()
  let raw: unknown = {}
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text)
    } catch {
      throw httpErrors.bad_request('Der Inhalt ist kein gültiges JSON. / The body is not valid JSON.')
    }
  }
  return schema.parse(raw)
}
