import type { Deps } from '../../deps.ts'
import { AppError } from '../../errors.ts'

export type Limit = { key: string; max: number; windowMs: number }

/**
 * Counts one attempt against each limit (shared by all processes through the store) and throws
 * 429 with Retry-After when one is exceeded. onLockout runs only for the first refused attempt of
 * a window, so a hammering client yields one audit entry, not one per request.
 */
export async function enforceLimits<L extends Limit>(
  deps: Pick<Deps, 'store' | 'clock'>,
  limits: L[],
  onLockout?: (limit: L) => Promise<void>,
): Promise<void> {
  const now = deps.clock()
  for (const limit of limits) {
    const hit = await deps.store.rateLimits.hit(limit.key, limit.windowMs, now)
    if (hit.count <= limit.max) continue
    if (hit.count === limit.max + 1) await onLockout?.(limit)
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

/** Forgets the counters after a success (a correct password resets the account counter). */
export async function resetLimits(deps: Pick<Deps, 'store'>, keys: string[]): Promise<void> {
  for (const key of keys) await deps.store.rateLimits.reset(key)
}
