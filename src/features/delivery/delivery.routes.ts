import { Hono } from 'hono'
import { z } from 'zod'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { jsonBody } from '../../http/json-body.ts'
import { requireStaff, staffOf } from '../../http/staff-auth.ts'
import { deliveryErrors, texts } from './delivery.errors.ts'
import { deliveryView, replayDeliveries } from './delivery.service.ts'

const listQuery = z.strictObject({
  state: z.enum(['pending', 'sending', 'retrying', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})
const bulkInput = z.strictObject({ failed: z.literal(true) })

/** The office admin's view of deliveries (failed ones first of all) and their replay. */
export function deliveryRoutes(deps: AppDeps) {
  const admin = requireStaff(['office_admin'])
  const actor = (id: string) => ({ kind: 'staff' as const, id })
  return new Hono<AppEnv>()
    .get('/v1/admin/deliveries', admin, async (c) => {
      const q = listQuery.parse(c.req.query())
      const rows = await deps.store.deliveries.list({ ...q, officeId: staffOf(c).officeId })
      return c.json({ deliveries: rows.map(deliveryView) })
    })
    .post('/v1/admin/deliveries/replay', admin, async (c) => {
      await jsonBody(c, bulkInput)
      const me = staffOf(c)
      return c.json(await replayDeliveries(deps, { failed: true, officeId: me.officeId }, actor(me.staffId)))
    })
    .post('/v1/admin/deliveries/:id/replay', admin, async (c) => {
      const me = staffOf(c)
      const id = z.uuid().safeParse(c.req.param('id'))
      if (!id.success) throw deliveryErrors.not_found(texts.notFound)
      const result = await replayDeliveries(deps, { id: id.data, officeId: me.officeId }, actor(me.staffId))
      const skipped = result.skipped[0]
      if (skipped?.state === 'not_found') throw deliveryErrors.not_found(texts.notFound)
      if (skipped)
        throw deliveryErrors.not_failed(texts.notFailed(skipped.state), { extra: { state: skipped.state } })
      return c.json(result)
    })
}
