import { Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { citizenOf, requireCitizen } from '../../http/citizen-session.ts'
import { jsonBody } from '../../http/json-body.ts'
import { requireStaff, staffOf } from '../../http/staff-auth.ts'
import { recordBounce } from '../notify/notify.service.ts'
import { deletePostalAddress, getNoticeDates, getPostalAddress, putPostalAddress } from './notices.citizen.ts'
import { bounceInput, newNoticeInput, noticeListQuery, postalAddressInput } from './notices.schemas.ts'
import {
  getNoticeForOffice,
  listNoticesForOffice,
  submitPdfNotice,
  submitTextNotice,
} from './notices.service.ts'

export const NOTICES_PATH = '/v1/office/notices'

/** A notice upload streams its body and enforces MAX_UPLOAD_BYTES itself (JSON notices keep the app limit). */
export const isNoticeUpload = (method: string, path: string, contentType: string | undefined) =>
  method === 'POST' &&
  path === NOTICES_PATH &&
  (contentType ?? '').toLowerCase().startsWith('multipart/form-data')

/** The office's notices API and the citizen's view of a notice's dates and their postal address. */
export function noticeRoutes(deps: AppDeps) {
  const office = requireStaff(['caseworker', 'integration'])
  const activated = requireCitizen({ level: 'code_verified' })
  const signedIn = requireCitizen({ mfa: true })
  return new Hono<AppEnv>()
    .post(NOTICES_PATH, office, async (c) => {
      const type = c.req.header('content-type') ?? ''
      const result = type.toLowerCase().startsWith('multipart/form-data')
        ? await submitPdfNotice(deps, staffOf(c), { contentType: type, body: c.req.raw.body })
        : await submitTextNotice(deps, staffOf(c), await jsonBody(c, newNoticeInput))
      return c.json(result.notice, result.created ? 202 : 200)
    })
    .post('/v1/office/notifications/bounces', requireStaff(['integration']), async (c) =>
      c.json(await recordBounce(deps, staffOf(c).officeId, await jsonBody(c, bounceInput))),
    )
    .get(NOTICES_PATH, office, async (c) =>
      c.json(await listNoticesForOffice(deps, staffOf(c), noticeListQuery.parse(c.req.query()))),
    )
    .get(`${NOTICES_PATH}/:id`, office, async (c) =>
      c.json(await getNoticeForOffice(deps, staffOf(c), c.req.param('id'))),
    )
    .get('/v1/postbox/messages/:messageId/notice', activated, async (c) =>
      c.json(await getNoticeDates(deps, citizenOf(c).citizen, c.req.param('messageId'))),
    )
    .get('/v1/profile/postal-address', signedIn, async (c) =>
      c.json(await getPostalAddress(deps, citizenOf(c).citizen)),
    )
    .put('/v1/profile/postal-address', signedIn, async (c) =>
      c.json(await putPostalAddress(deps, citizenOf(c).citizen, await jsonBody(c, postalAddressInput))),
    )
    .delete('/v1/profile/postal-address', signedIn, async (c) => {
      await deletePostalAddress(deps, citizenOf(c).citizen)
      return c.body(null, 204)
    })
}
