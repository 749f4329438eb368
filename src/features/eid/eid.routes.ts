import { Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { citizenOf, requireCitizen, rotateSession } from '../../http/citizen-session.ts'
import { jsonBody } from '../../http/json-body.ts'
import { eidUnavailable } from './eid.errors.ts'
import { eidAssertionInput } from './eid.schemas.ts'
import { issueNonce, loadVerifier, verifyEidAssertion } from './eid.service.ts'

/**
 * eID on top of an activated profile: the client fetches a nonce, passes it to the identity
 * provider, and posts back the provider's signed assertion carrying that nonce.
 */
export function eidRoutes(deps: AppDeps) {
  const verifier = loadVerifier(deps.config)
  // A broken key must not crash the app; eID answers 503 and the error is logged once.
  verifier.catch((err: unknown) => deps.log.error({ err }, 'eID verifier not loaded'))
  const available = async () => (await verifier.catch(() => null)) ?? null
  const activated = requireCitizen({ mfa: true, level: 'code_verified' })
  return new Hono<AppEnv>()
    .post('/v1/profile/eid/nonce', activated, async (c) => {
      if (!(await available())) throw eidUnavailable()
      const auth = citizenOf(c)
      return c.json(issueNonce(deps, auth.citizen.id, auth.session.id), 201)
    })
    .post('/v1/profile/eid', activated, async (c) => {
      const auth = citizenOf(c)
      const { assertion } = await jsonBody(c, eidAssertionInput)
      const result = await verifyEidAssertion(deps, await available(), {
        citizen: auth.citizen,
        sessionId: auth.session.id,
        assertion,
      })
      // Level raised: rotate the session id; this also retires the nonce just used.
      const { csrfToken } = await rotateSession(deps, c, auth, {})
      return c.json({ ...result, csrfToken })
    })
}
