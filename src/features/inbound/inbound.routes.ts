import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { Hono } from 'hono'
import { z } from 'zod'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { requireStaff, staffOf } from '../../http/staff-auth.ts'
import { EFILE_REPLY_PATH } from '../replies/replies.routes.ts'
import { inboundErrors, texts } from './inbound.errors.ts'
import { listInboundMails } from './inbound.review.ts'
import { receiveInboundMail } from './inbound.service.ts'

export const INBOUND_EMAIL_PATH = '/v1/inbound/email'
const RAW_TYPES = new Set(['message/rfc822', 'application/octet-stream'])

const listQuery = z.object({
  state: z.enum(['review', 'rejected', 'received', 'appended']).optional(),
  before: z
    .string()
    .regex(/^\d{1,15}\.[0-9a-f-]{36}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
})

/** The raw mail endpoint of the office's mail gateway and the office admin's review list. */
export function inboundRoutes(deps: AppDeps) {
  return new Hono<AppEnv>()
    .post(INBOUND_EMAIL_PATH, requireStaff(['integration']), async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
      if (!RAW_TYPES.has(type)) throw inboundErrors.unsupported_media_type(texts.mediaType)
      const length = c.req.header('content-length')
      const body = c.req.raw.body
      const received = await receiveInboundMail(deps, {
        officeId: staffOf(c).officeId,
        channel: 'http',
        contentLength: length && /^\d+$/.test(length) ? Number(length) : null,
        body: body ? Readable.fromWeb(body as WebReadableStream<Uint8Array>) : Readable.from([]),
      })
      return c.json(received, 202)
    })
    .get('/v1/admin/inbound-mails', requireStaff(['office_admin']), async (c) => {
      const query = listQuery.safeParse(c.req.query())
      if (!query.success) throw inboundErrors.bad_query(texts.badQuery)
      return c.json(await listInboundMails(deps, staffOf(c).officeId, query.data))
    })
}

/** The reply routes stream their bodies and enforce their own limits instead of MAX_BODY_BYTES. */
export const isStreamedReply = (method: string, path: string) =>
  method === 'POST' && (path === INBOUND_EMAIL_PATH || path === EFILE_REPLY_PATH)
