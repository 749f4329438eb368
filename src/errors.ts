/** Application errors: services throw them, app.onError turns them into RFC 9457 problem+json. */
export type AppErrorInit = {
  code: string
  status: number
  title: string
  detail?: string
  expose?: boolean
  retryable?: boolean
  cause?: unknown
  extra?: Record<string, unknown>
}

export class AppError extends Error {
  readonly code: string
  readonly status: number
  readonly title: string
  readonly detail: string | undefined
  readonly expose: boolean
  readonly retryable: boolean
  readonly extra: Record<string, unknown> | undefined
  constructor(init: AppErrorInit) {
    super(init.detail ?? init.title, { cause: init.cause })
    this.name = 'AppError'
    this.code = init.code
    this.status = init.status
    this.title = init.title
    this.detail = init.detail
    this.expose = init.expose ?? init.status < 500
    this.retryable = init.retryable ?? init.status >= 500
    this.extra = init.extra
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError

/** An error for a log line: message and code only, never `detail` or parameters, which can quote row values. */
export function errorSummary(err: unknown): { message: string; code: string | undefined } {
  const e = err as { message?: unknown; code?: unknown } | null
  return { message: String(e?.message ?? err), code: typeof e?.code === 'string' ? e.code : undefined }
}

type Spec = { status: number; title: string; retryable?: boolean }

/** One factory per feature: errorFactory('postbox', { thread_not_found: {status: 404, title} }). */
export function errorFactory<K extends string>(feature: string, specs: Record<K, Spec>) {
  return Object.fromEntries(
    Object.entries<Spec>(specs).map(([reason, spec]) => [
      reason,
      (detail?: string, opts: { cause?: unknown; extra?: Record<string, unknown> } = {}) =>
        new AppError({ code: `${feature}.${reason}`, ...spec, detail, ...opts }),
    ]),
  ) as Record<K, (detail?: string, opts?: { cause?: unknown; extra?: Record<string, unknown> }) => AppError>
}

export const httpErrors = errorFactory('http', {
  not_found: { status: 404, title: 'Not Found' },
  method_not_allowed: { status: 405, title: 'Method Not Allowed' },
  payload_too_large: { status: 413, title: 'Payload Too Large' },
  unsupported_media_type: { status: 415, title: 'Unsupported Media Type' },
  bad_request: { status: 400, title: 'Bad Request' },
  validation: { status: 422, title: 'Unprocessable Content' },
  internal: { status: 500, title: 'Internal Server Error' },
  unavailable: { status: 503, title: 'Service Unavailable' },
})

export type Problem = {
  type: string
  title: string
  status: number
  detail?: string
  code: string
  requestId?: string
  [k: string]: unknown
}

/** RFC 9457 body; internals never leave the process (non-exposed errors get a generic text). */
export function toProblem(err: AppError, requestId?: string): Problem {
  const exposed = err.expose
  return {
    type: `https://postkorb.example/problems/${err.code}`,
    title: err.title,
    status: err.status,
    ...(exposed && err.detail ? { detail: err.detail } : {}),
    code: exposed ? err.code : 'internal',
    ...(requestId ? { requestId } : {}),
    ...(exposed ? err.extra : {}),
  }
}
