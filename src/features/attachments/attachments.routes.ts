import type { Readable } from 'node:stream'
import { Hono, type MiddlewareHandler } from 'hono'
import type { AppDeps } from '../../deps.ts'
import { AppError } from '../../errors.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { citizenOf, requireCitizen } from '../../http/citizen-session.ts'
import { recordNoticeDownload } from '../notices/notices.retrieval.ts'
import { contentDisposition } from './attachments.names.ts'
import { deleteAttachment, openAttachment, uploadAttachment } from './attachments.service.ts'

export const UPLOAD_PATH = '/v1/postbox/attachments'

/** The one route that streams its body itself and enforces MAX_UPLOAD_BYTES instead of the app-wide limit. */
export const isStreamedUpload = (method: string, path: string) => method === 'POST' && path === UPLOAD_PATH

/**
 * A cookie-authenticated upload must carry its CSRF token in the header: the form-field fallback
 * would have to buffer the whole (unlimited) body to find it. Runs before csrfProtection.
 */
export function uploadCsrfHeaderOnly(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (isStreamedUpload(c.req.method, c.req.path) && c.get('auth') && !c.req.header('x-csrf-token'))
      throw new AppError({
        code: 'auth.csrf',
        status: 403,
        title: 'Forbidden',
        detail: 'CSRF check failed: uploads need the X-CSRF-Token header.',
      })
    return next()
  }
}

/** Upload, download and removal of the signed-in citizen's own files. */
export function attachmentRoutes(deps: AppDeps) {
  const activated = requireCitizen({ level: 'code_verified' })
  return new Hono<AppEnv>()
    .post(UPLOAD_PATH, activated, async (c) => {
      const length = c.req.header('content-length')
      const view = await uploadAttachment(deps, citizenOf(c).citizen, {
        contentType: c.req.header('content-type') ?? '',
        contentLength: length && /^\d+$/.test(length) ? Number(length) : null,
        body: c.req.raw.body,
      })
      return c.json(view, 201)
    })
    .get(`${UPLOAD_PATH}/:id`, activated, async (c) => {
      const download = await openAttachment(deps, citizenOf(c).citizen, c.req.param('id'))
      await recordNoticeDownload(deps, citizenOf(c).citizen.id, download.attachment.messageId)
      const body = await startedStream(download.content)
      return c.body(body, 200, {
        'Content-Type': download.contentType,
        'Content-Length': String(download.attachment.size),
        'Content-Disposition': contentDisposition(download.name),
        'X-Content-Type-Options': 'nosniff',
      })
    })
    .delete(`${UPLOAD_PATH}/:id`, activated, async (c) => {
      await deleteAttachment(deps, citizenOf(c).citizen, c.req.param('id'))
      return c.body(null, 204)
    })
}

/**
 * Reads the first chunk before the status line goes out, so a missing or corrupt blob becomes an
 * error response instead of a 200 cut short; the rest streams with backpressure.
 */
async function startedStream(content: Readable): Promise<ReadableStream<Uint8Array>> {
  const chunks = content[Symbol.asyncIterator]()
  let first: IteratorResult<Buffer> | undefined = await chunks.next()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = first ?? (await chunks.next())
      first = undefined
      if (next.done) controller.close()
      else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength))
    },
    async cancel() {
      await chunks.return?.()
    },
  })
}
