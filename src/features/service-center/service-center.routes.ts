import { Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { jsonBody } from '../../http/json-body.ts'
import { requireStaff, staffOf } from '../../http/staff-auth.ts'
import { forwardInput, itemsQuery, replyInput } from './service-center.schemas.ts'
import {
  claimItem,
  closeItem,
  forwardItem,
  getItem,
  listItems,
  replyToItem,
} from './service-center.service.ts'

/** The service-center queues of the agent's office: list, claim, answer, forward, close. */
export function serviceCenterRoutes(deps: AppDeps) {
  const agent = requireStaff(['service_center_agent'])
  const base = '/v1/service-center/items'
  return new Hono<AppEnv>()
    .get(base, requireStaff(['service_center_agent', 'office_admin']), async (c) =>
      c.json(await listItems(deps, staffOf(c), itemsQuery.parse(c.req.query()))),
    )
    .get(`${base}/:id`, agent, async (c) => c.json(await getItem(deps, staffOf(c), c.req.param('id'))))
    .post(`${base}/:id/claim`, agent, async (c) =>
      c.json(await claimItem(deps, staffOf(c), c.req.param('id'))),
    )
    .post(`${base}/:id/reply`, agent, async (c) => {
      const { body } = await jsonBody(c, replyInput)
      return c.json(await replyToItem(deps, staffOf(c), c.req.param('id'), body), 201)
    })
    .post(`${base}/:id/forward`, agent, async (c) =>
      c.json(await forwardItem(deps, staffOf(c), c.req.param('id'), await jsonBody(c, forwardInput))),
    )
    .post(`${base}/:id/close`, agent, async (c) =>
      c.json(await closeItem(deps, staffOf(c), c.req.param('id'))),
    )
}
