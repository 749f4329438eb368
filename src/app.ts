import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { requestId } from 'hono/request-id'
import type { AppDeps } from './deps.ts'
import { httpErrors } from './errors.ts'
import { activationRoutes } from './features/activation/activation.routes.ts'
import {
  attachmentRoutes,
  isStreamedUpload,
  uploadCsrfHeaderOnly,
} from './features/attachments/attachments.routes.ts'
import { deliveryRoutes } from './features/delivery/delivery.routes.ts'
import { eidRoutes } from './features/eid/eid.routes.ts'
import { healthRoutes } from './features/health/health.routes.ts'
import { identityRoutes } from './features/identity/identity.routes.ts'
import { inboundRoutes, isStreamedReply } from './features/inbound/inbound.routes.ts'
import { mfaRoutes } from './features/mfa/mfa.routes.ts'
import { isNoticeUpload, noticeRoutes } from './features/notices/notices.routes.ts'
import { postboxRoutes } from './features/postbox/postbox.routes.ts'
import { profileRoutes } from './features/profile/profile.routes.ts'
import { replyRoutes } from './features/replies/replies.routes.ts'
import { routingRoutes } from './features/routing/routing.routes.ts'
import { serviceCenterRoutes } from './features/service-center/service-center.routes.ts'
import { staffRoutes } from './features/staff/staff.routes.ts'
import type { AppEnv } from './http/app-env.ts'
import { citizenSession, csrfProtection } from './http/citizen-session.ts'
import { respondWithProblem, toAppError, validationError } from './http/problem.ts'
import { requestLog } from './http/request-log.ts'
import { noStore, securityHeaders } from './http/security-headers.ts'
import { staffAuth } from './http/staff-auth.ts'

/** The Hono app with middleware, error mapping and routes; it never listens (cli.ts does). */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error)
    },
  })

  app.use(requestId({ headerName: 'X-Request-Id', limitLength: 64 }))
  app.use(async (c, next) => {
    c.set('deps', deps)
    await next()
  })
  app.use(requestLog(deps.log))
  app.use(securityHeaders())
  app.use('/v1/*', noStore())
  const limitBody = bodyLimit({
    maxSize: deps.config.http.maxBodyBytes,
    onError: () => {
      throw httpErrors.payload_too_large(`The request body exceeds ${deps.config.http.maxBodyBytes} bytes.`)
    },
  })
  // The upload route streams its body and enforces MAX_UPLOAD_BYTES itself; so do the reply and notice routes.
  app.use((c, next) =>
    isStreamedUpload(c.req.method, c.req.path) ||
    isStreamedReply(c.req.method, c.req.path) ||
    isNoticeUpload(c.req.method, c.req.path, c.req.header('content-type'))
      ? next()
      : limitBody(c, next),
  )

  app.use('/v1/*', citizenSession(deps))
  app.use('/v1/*', uploadCsrfHeaderOnly())
  app.use('/v1/*', csrfProtection(deps))
  app.use('/v1/*', staffAuth(deps))

  app.route('/', healthRoutes(deps))
  app.route('/', identityRoutes(deps))
  app.route('/', staffRoutes(deps))
  app.route('/', activationRoutes(deps))
  app.route('/', profileRoutes(deps))
  app.route('/', eidRoutes(deps))
  app.route('/', attachmentRoutes(deps))
  app.route('/', postboxRoutes(deps))
  app.route('/', inboundRoutes(deps))
  app.route('/', replyRoutes(deps))
  app.route('/', noticeRoutes(deps))
  app.route('/', routingRoutes(deps))
  app.route('/', deliveryRoutes(deps))
  app.route('/', serviceCenterRoutes(deps))
  app.route('/v1/auth/mfa', mfaRoutes(deps))

  app.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 'Postkorb API', version: '1' } })

  app.notFound((c) =>
    respondWithProblem(c, httpErrors.not_found(`No route for ${c.req.method} ${c.req.path}.`)),
  )
  app.onError((err, c) => {
    const appError = toAppError(err)
    if (appError.status >= 500) {
      const log = c.get('log') ?? deps.log
      log.error({ err: appError.cause ?? appError, code: appError.code }, 'request failed')
    }
    return respondWithProblem(c, appError)
  })
  return app
}

export type App = ReturnType<typeof createApp>
