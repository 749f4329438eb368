import { Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { jsonBody } from '../../http/json-body.ts'
import { requireStaff, staffOf } from '../../http/staff-auth.ts'
import { efileSecret } from '../delivery/efile-signature.ts'
import { efileEndpointInput, rerouteInput, ruleSetInput } from './routing.schemas.ts'
import { getRules, putRules, reroute, setEfileEndpoint } from './routing.service.ts'

/** Routing rules and the e-file endpoint (office admin of that office), and re-routing by staff. */
export function routingRoutes(deps: AppDeps) {
  const admin = requireStaff(['office_admin'])
  return (
    new Hono<AppEnv>()
      .get('/v1/admin/offices/:officeId/routing-rules', admin, async (c) =>
        c.json(await getRules(deps, staffOf(c), c.req.param('officeId'))),
      )
      .put('/v1/admin/offices/:officeId/routing-rules', admin, async (c) =>
        c.json(await putRules(deps, staffOf(c), c.req.param('officeId'), await jsonBody(c, ruleSetInput))),
      )
      .put('/v1/admin/offices/:officeId/efile', admin, async (c) => {
        const { endpoint } = await jsonBody(c, efileEndpointInput)
        return c.json(await setEfileEndpoint(deps, staffOf(c), c.req.param('officeId'), endpoint))
      })
      // The signing secret is derived, never stored: reading it is audit-logged, the response not cached.
      .post('/v1/admin/offices/:officeId/efile/secret', admin, async (c) => {
        const me = staffOf(c)
        const { officeId } = await getRules(deps, me, c.req.param('officeId'))
        await deps.store.audit.append({
          actorKind: 'staff',
          actorId: me.staffId,
          action: 'routing.efile_secret_read',
          subjectKind: 'office',
          subjectId: officeId,
          officeId,
        })
        return c.json({ officeId, secret: efileSecret(deps.keyring, officeId).toString('base64') })
      })
      .post(
        '/v1/office/messages/:messageId/reroute',
        requireStaff(['caseworker', 'service_center_agent', 'office_admin']),
        async (c) =>
          c.json(await reroute(deps, staffOf(c), c.req.param('messageId'), await jsonBody(c, rerouteInput))),
      )
  )
}
