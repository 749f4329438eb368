import { Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import { AppError } from '../../errors.ts'
import type { AppEnv } from '../../http/app-env.ts'

type Check = () => Promise<void>
const CHECK_TIMEOUT_MS = 2000

/**
 * Liveness (process answers) and readiness (store, queue and scanner reachable, not draining).
 * Uploads whose check failed for good are reported as `failedScans` for monitoring (with the alert
 * log line) but do not fail readiness: that would take every replica out of rotation until someone
 * runs `postkorb scans requeue`, and citizens could not even read their notices meanwhile.
 */
export function healthRoutes(deps: AppDeps) {
  const checks: Record<string, Check> = {
    store: () => deps.store.ping(),
    queue: () => deps.queue.ping(),
    scanner: () => deps.scanner.ping(),
  }
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const results = Object.fromEntries(
        await Promise.all(
          Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const),
        ),
      )
      if (deps.lifecycle.draining) results.lifecycle = 'draining'
      const failedScans = results.store === 'ok' ? await deps.store.uploadChecks.countFailed() : null
      const failing = Object.entries(results)
        .filter(([, v]) => v !== 'ok')
        .map(([k]) => k)
      if (failing.length === 0) return c.json({ status: 'ready', checks: results, failedScans })
      throw new AppError({
        code: 'health.not_ready',
        status: 503,
        title: 'Service Unavailable',
        detail: `Not ready: ${failing.join(', ')}`,
        expose: true,
        extra: { checks: results, failedScans },
      })
    })
}

async function runCheck(check: Check): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS)
  })
  try {
    await Promise.race([check(), timeout])
    return 'ok'
  } catch (err) {
    return (err as Error).message === 'timeout' ? 'timeout' : 'down'
  } finally {
    clearTimeout(timer)
  }
}
