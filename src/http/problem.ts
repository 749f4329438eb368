import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ZodError } from 'zod'
import { errorPage } from '../../templates/web/error-page.ts'
import { AppError, httpErrors, isAppError, toProblem } from '../errors.ts'
import type { AppEnv } from './app-env.ts'

/** Maps any thrown value to an AppError; unknown errors become a generic 500. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err
  if (err instanceof ZodError) return validationError(err)
  if (err instanceof HTTPException) return fromHttpException(err)
  const status = (err as { status?: unknown })?.status
  if (status === 413) return httpErrors.payload_too_large('The request body is larger than allowed.')
  return httpErrors.internal(undefined, { cause: err })
}

export function validationError(err: ZodError): AppError {
  return httpErrors.validation('The request has invalid fields.', {
    extra: { errors: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code })) },
  })
}

/** RFC 9457 for API clients, a readable German/English page for browsers that navigate. */
export function respondWithProblem(c: Context<AppEnv>, err: AppError) {
  const problem = toProblem(err, c.get('requestId'))
  const retryAfter = err.extra?.retryAfterSeconds
  if (typeof retryAfter === 'number') c.header('Retry-After', String(retryAfter))
  if (wantsHtml(c)) return c.html(errorPage(problem), err.status as ContentfulStatusCode)
  return c.body(JSON.stringify(problem), err.status as ContentfulStatusCode, {
    'Content-Type': 'application/problem+json; charset=utf-8',
  })
}

function wantsHtml(c: Context) {
  if (c.req.path.startsWith('/v1/') || c.req.path === '/healthz' || c.req.path === '/readyz') return false
  const accept = c.req.header('accept') ?? ''
  return accept.includes('text/html')
}

/** Hono's own errors (malformed JSON, bad form data) are the client's fault: keep their 4xx status. */
function fromHttpException(err: HTTPException): AppError {
  if (err.status === 413) return httpErrors.payload_too_large('The request body is larger than allowed.')
  if (err.status >= 500) return httpErrors.internal(undefined, { cause: err })
  return new AppError({
    code: 'http.bad_request',
    status: err.status,
    title: 'Bad Request',
    detail: 'The request body could not be read.',
  })
}
