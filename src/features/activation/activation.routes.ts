import { Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { citizenOf, requireCitizen, rotateSession } from '../../http/citizen-session.ts'
import { clientAddress } from '../../http/client-address.ts'
import { jsonBody } from '../../http/json-body.ts'
import { requireStaff, staffOf } from '../../http/staff-auth.ts'
import { activateInput, issueCodeInput } from './activation.schemas.ts'
import { activateProfile, issueActivationCode, resetFactorsWithCode } from './activation.service.ts'

/** Issuing codes (office staff) and redeeming them (a signed-in citizen with MFA done). */
export function activationRoutes(deps: AppDeps) {
  return (
    new Hono<AppEnv>()
      .post('/v1/admin/activation-codes', requireStaff(['office_admin', 'caseworker']), async (c) => {
        const me = staffOf(c)
        const input = await jsonBody(c, issueCodeInput)
        const issued = await issueActivationCode(deps, {
          ...input,
          officeId: me.officeId,
          staffId: me.staffId,
        })
        return c.json({ ...issued, customerNumber: input.customerNumber }, 201)
      })
      .post('/v1/profile/activate', requireCitizen({ mfa: true }), async (c) => {
        const auth = citizenOf(c)
        const input = await jsonBody(c, activateInput)
        const result = await activateProfile(deps, {
          ...input,
          citizen: auth.citizen,
          address: clientAddress(c, deps.config.http.trustProxy),
        })
        // The level changed: a fresh session id, so a planted or leaked one does not inherit it.
        const { csrfToken } = await rotateSession(deps, c, auth, {})
        const office = await deps.store.offices.get(result.officeId)
        return c.json({
          securityLevel: result.securityLevel,
          office: office ? { id: office.id, name: office.name } : null,
          customerNumber: input.customerNumber,
          csrfToken,
        })
      })
      // Lost every factor: a pre-MFA session plus a new code from the office clears the factors.
      .post('/v1/auth/mfa/reset-with-code', requireCitizen({ mfa: false }), async (c) => {
        const auth = citizenOf(c)
        const input = await jsonBody(c, activateInput)
        await resetFactorsWithCode(deps, {
          ...input,
          citizen: auth.citizen,
          sessionId: auth.session.id,
          address: clientAddress(c, deps.config.http.trustProxy),
        })
        const { csrfToken } = await rotateSession(deps, c, auth, {})
        return c.json({ stage: 'mfa', mfaMethods: ['enrol'], csrfToken })
      })
  )
}
