import { Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { jsonBody } from '../../http/json-body.ts'
import { requireStaff, staffOf } from '../../http/staff-auth.ts'
import { createStaffInput, createTokenInput, tokenIdParam } from './staff.schemas.ts'
import { createStaff, issueToken, listStaff, listTokens, revokeToken } from './staff.service.ts'

/** Staff and token administration by the office admin of the token's office. */
export function staffRoutes(deps: AppDeps) {
  const admin = requireStaff(['office_admin'])
  return new Hono<AppEnv>()
    .post('/v1/admin/staff', admin, async (c) => {
      const me = staffOf(c)
      const input = await jsonBody(c, createStaffInput)
      const created = await createStaff(deps, {
        ...input,
        officeId: me.officeId,
        actor: { kind: 'staff', staffId: me.staffId },
      })
      return c.json(
        {
          staff: { id: created.staff.id, role: created.staff.role, label: created.staff.label },
          token: created.token,
        },
        201,
      )
    })
    .get('/v1/admin/staff', admin, async (c) => {
      const staff = await listStaff(deps, staffOf(c).officeId)
      return c.json({
        staff: staff.map(({ id, role, label, createdAt, disabledAt }) => ({
          id,
          role,
          label,
          createdAt,
          disabledAt,
        })),
      })
    })
    .get('/v1/admin/tokens', admin, async (c) =>
      c.json({ tokens: await listTokens(deps, staffOf(c).officeId) }),
    )
    .post('/v1/admin/tokens', admin, async (c) => {
      const me = staffOf(c)
      const input = await jsonBody(c, createTokenInput)
      const token = await issueToken(deps, {
        ...input,
        officeId: me.officeId,
        actor: { kind: 'staff', staffId: me.staffId },
      })
      return c.json({ token }, 201)
    })
    .delete('/v1/admin/tokens/:id', admin, async (c) => {
      const me = staffOf(c)
      const { id } = tokenIdParam.parse(c.req.param())
      await revokeToken(deps, {
        officeId: me.officeId,
        tokenId: id,
        actor: { kind: 'staff', staffId: me.staffId },
      })
      return c.body(null, 204)
    })
}
