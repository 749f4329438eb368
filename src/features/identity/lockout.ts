import type { Deps } from '../../deps.ts'
import { AppError } from '../../errors.ts'
import type { Limit } from './throttle.ts'

export type ScopedLimit = Limit & { scope: 'account' | 'address' }

/**
 * Like enforceLimits (throttle.ts), but it tells the first refused attempt of a window apart, so
 * a lockout is audited and logged once rather than once per hammering request.
 */
export async function enforceWithLockout(
  deps: Pick<Deps, 'store' | 'clock'>,
  limits: ScopedLimit[],
  onLockout: (limit: ScopedLimit) => Promise<void>,
): Promise<void> {
  const now = deps.clock()
  for (const limit of limits) {
    const hit = await deps.store.rateLimits.hit(limit.key, limit.windowMs, now)
    if (hit.count <= limit.max) continue
    if (hit.count === limit.max + 1) await onLockout(limit)
    const retryAfterSeconds = Math.max(1, Math.ceil((hit.resetAt.getTime() - now.getTime()) / 1000))
    throw new AppError({
      code: 'auth.too_many_attempts',
      status: 429,
      title: 'Too Many Requests',
      detail: 'Zu viele Versuche. Bitte warten Sie. / Too many attempts. Please wait.',
      extra: { retryAfterSeconds },
    })
  }
}
