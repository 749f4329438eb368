import type { MiddlewareHandler } from 'hono'
import type { Logger } from '../logger.ts'
import type { AppEnv } from './app-env.ts'

/** One line per request: method, path without query (queries carry search terms), status, time. */
export function requestLog(root: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now()
    const log = root.child({ requestId: c.get('requestId') })
    c.set('log', log)
    await next()
    const ms = Math.round((performance.now() - started) * 10) / 10
    const level = c.res.status >= 500 ? 'error' : 'info'
    log[level]({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'request')
  }
}
