import { Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { citizenOf, endSession, requireCitizen } from '../../http/citizen-session.ts'
import { jsonBody } from '../../http/json-body.ts'
import { deleteProfileInput, patchProfileInput } from './profile.schemas.ts'
import { deleteProfile, getProfile, updateProfile } from './profile.service.ts'

/** The signed-in citizen's own profile; every route acts on the session's citizen only. */
export function profileRoutes(deps: AppDeps) {
  const signedIn = requireCitizen({ mfa: true })
  return new Hono<AppEnv>()
    .get('/v1/profile', signedIn, async (c) => c.json(await getProfile(deps, citizenOf(c).citizen)))
    .patch('/v1/profile', signedIn, async (c) => {
      const input = await jsonBody(c, patchProfileInput)
      return c.json(await updateProfile(deps, citizenOf(c).citizen, input))
    })
    .delete('/v1/profile', signedIn, async (c) => {
      const { password } = await jsonBody(c, deleteProfileInput)
      await deleteProfile(deps, citizenOf(c).citizen, password)
      await endSession(deps, c)
      return c.body(null, 204)
    })
}
