import type { Context, MiddlewareHandler } from 'hono'
import { hashToken } from '../crypto/tokens.ts'
import type { AppDeps } from '../deps.ts'
import { AppError } from '../errors.ts'
import type { ApiToken, StaffRole } from '../store/store.types.ts'
import type { AppEnv } from './app-env.ts'

/** The staff member or integration behind a request's Bearer token. */
export type StaffAuth = { tokenId: string; staffId: string; officeId: string; role: StaffRole }

const TOUCH_EVERY_MS = 60_000
const HOUR_MS = 3_600_000
const TOKEN_SHAPE = /^pk_[A-Za-z0-9]{1,32}_[A-Za-z0-9_-]{16,128}$/

/**
 * Resolves `Authorization: Bearer pk_…` to the token's staff member. A missing, unknown or
 * revoked token leaves `staff` unset, so requireStaff gives the same 401 for all three.
 * Bearer requests carry no ambient credential a browser could replay, so CSRF does not apply
 * to them; a request that also carries a session cookie still passes csrfProtection as usual.
 */
export function staffAuth(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'))
    if (token) {
      const found = await deps.store.apiTokens.findActiveByHash(hashToken(token))
      const staff = found ? await deps.store.staff.get(found.officeId, found.staffId) : null
      if (found && staff && !staff.disabledAt) {
        await recordUse(deps, found)
        c.set('staff', {
          tokenId: found.id,
          staffId: found.staffId,
          officeId: found.officeId,
          role: found.role,
        })
      }
    }
    await next()
  }
}

function bearerToken(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)$/i)
  const token = match?.[1]
  return token && TOKEN_SHAPE.test(token) ? token : null
}

/**
 * lastUsedAt is written at most once a minute. Token use is audited once per clock hour in
 * which the token was used (and on its first use), so the log says "token X was active in
 * hour H" without one entry per request drowning the logins and opt-in changes.
 */
async function recordUse(deps: AppDeps, token: ApiToken): Promise<void> {
  const now = deps.clock()
  const last = token.lastUsedAt
  const touch = !last || now.getTime() - last.getTime() >= TOUCH_EVERY_MS
  if (!touch) return
  const audit = !last || Math.floor(last.getTime() / HOUR_MS) !== Math.floor(now.getTime() / HOUR_MS)
  if (!audit) return deps.store.apiTokens.touch(token.id, now)
  await deps.store.transaction(async (tx) => {
    await tx.apiTokens.touch(token.id, now)
    await tx.audit.append({
      actorKind: token.role === 'integration' ? 'integration' : 'staff',
      actorId: token.staffId,
      action: 'token.used',
      subjectKind: 'api_token',
      subjectId: token.id,
      officeId: token.officeId,
      details: { firstUse: !last, role: token.role },
    })
  })
}

const unauthenticated = () =>
  new AppError({
    code: 'auth.token_invalid',
    status: 401,
    title: 'Unauthorized',
    detail:
      'Gültiges API-Token erforderlich (Authorization: Bearer …). / A valid API token is required (Authorization: Bearer …).',
  })

/** Guards staff routes: a valid token (401 otherwise) with one of the given roles (403 otherwise). */
export function requireStaff(roles: readonly StaffRole[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const staff = c.get('staff')
    if (!staff) {
      c.header('WWW-Authenticate', 'Bearer')
      throw unauthenticated()
    }
    if (!roles.includes(staff.role)) {
      throw new AppError({
        code: 'auth.role_forbidden',
        status: 403,
        title: 'Forbidden',
        detail: 'Ihre Rolle darf das nicht. / Your role is not allowed to do this.',
      })
    }
    return next()
  }
}

/** The authenticated staff member of a guarded route (requireStaff ran before). */
export function staffOf(c: Context<AppEnv>): StaffAuth {
  const staff = c.get('staff')
  if (!staff) throw unauthenticated()
  return staff
}
