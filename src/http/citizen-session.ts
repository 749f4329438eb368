import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { AppDeps } from '../deps.ts'
import { AppError } from '../errors.ts'
import type { MfaMethod, Session } from '../store/identity.types.ts'
import type { Citizen, SecurityLevel } from '../store/store.types.ts'
import type { AppEnv } from './app-env.ts'

/** The signed-in citizen of a request. */
export type CitizenAuth = { session: Session; citizen: Citizen }

const TOUCH_EVERY_MS = 60_000
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const levels: SecurityLevel[] = ['registered', 'code_verified', 'eid']

export const sessionCookieName = (secure: boolean) => (secure ? '__Host-pk_session' : 'pk_session')
const hashToken = (token: string) => createHash('sha256').update(token).digest()

/** Loads the session named by the cookie; expired (idle or absolute) sessions are ended. */
export function citizenSession(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const name = sessionCookieName(deps.config.auth.cookieSecure)
  return async (c, next) => {
    const token = getCookie(c, name)
    if (token) {
      const auth = await loadSession(deps, hashToken(token))
      if (auth) c.set('auth', auth)
      else deleteCookie(c, name, { path: '/', secure: deps.config.auth.cookieSecure })
    }
    await next()
  }
}

async function loadSession(deps: AppDeps, id: Buffer): Promise<CitizenAuth | null> {
  const session = await deps.store.sessions.get(id)
  if (!session) return null
  const now = deps.clock().getTime()
  const idleEnd = session.lastSeenAt.getTime() + deps.config.auth.sessionIdleMs
  const citizen = await deps.store.citizens.get(session.citizenId)
  if (!citizen || now >= session.expiresAt.getTime() || now >= idleEnd) {
    await deps.store.sessions.delete(id)
    return null
  }
  if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) await deps.store.sessions.touch(id, new Date(now))
  return { session, citizen }
}

/** Starts a session (after the password step, or after MFA) and sets the cookie; returns the CSRF token. */
export async function startSession(
  deps: AppDeps,
  c: Context<AppEnv>,
  citizenId: string,
  mfa?: MfaMethod,
): Promise<{ csrfToken: string }> {
  const token = randomBytes(32).toString('base64url')
  const id = hashToken(token)
  const now = deps.clock()
  await deps.store.sessions.create({
    id,
    citizenId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + deps.config.auth.sessionAbsoluteMs),
    mfaVerifiedAt: mfa ? now : null,
    mfaMethod: mfa ?? null,
  })
  setSessionCookie(deps, c, token)
  return { csrfToken: csrfTokenFor(deps, id) }
}

/** Gives the session a fresh id (on MFA, on privilege change) so a planted cookie is worthless. */
export async function rotateSession(
  deps: AppDeps,
  c: Context<AppEnv>,
  auth: CitizenAuth,
  patch: { mfaVerifiedAt?: Date; mfaMethod?: MfaMethod },
): Promise<{ csrfToken: string }> {
  const token = randomBytes(32).toString('base64url')
  const id = hashToken(token)
  const ok = await deps.store.sessions.rotate(auth.session.id, id, { ...patch, lastSeenAt: deps.clock() })
  if (!ok)
    throw new AppError({
      code: 'auth.session_ended',
      status: 401,
      title: 'Unauthorized',
      detail: 'The session has ended.',
    })
  setSessionCookie(deps, c, token)
  auth.session = { ...auth.session, ...patch, id }
  return { csrfToken: csrfTokenFor(deps, id) }
}

/** Ends the request's session and clears the cookie. */
export async function endSession(deps: AppDeps, c: Context<AppEnv>): Promise<void> {
  const auth = c.get('auth')
  if (auth) await deps.store.sessions.delete(auth.session.id)
  deleteCookie(c, sessionCookieName(deps.config.auth.cookieSecure), {
    path: '/',
    secure: deps.config.auth.cookieSecure,
  })
}

function setSessionCookie(deps: AppDeps, c: Context<AppEnv>, token: string) {
  setCookie(c, sessionCookieName(deps.config.auth.cookieSecure), token, {
    path: '/',
    httpOnly: true,
    secure: deps.config.auth.cookieSecure,
    sameSite: 'Lax',
  })
}

/** The synchronizer token of a session: a keyed MAC of its id, so nothing extra is stored. */
export const csrfTokenFor = (deps: Pick<AppDeps, 'keyring'>, sessionId: Buffer) =>
  deps.keyring.lookupMac('csrf', sessionId.toString('hex')).toString('base64url')

/**
 * Every unsafe request that a session cookie authenticates must carry the session's CSRF token
 * (header X-CSRF-Token, or form field _csrf for pages) and must not come from another site.
 */
export function csrfProtection(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.get('auth')
    if (!auth || !UNSAFE.has(c.req.method)) return next()
    if (c.req.header('sec-fetch-site') === 'cross-site') throw csrfError('cross-site request')
    const origin = c.req.header('origin')
    if (origin && origin !== new URL(deps.config.http.publicUrl).origin) throw csrfError('foreign origin')
    const sent = c.req.header('x-csrf-token') ?? (await formToken(c))
    const expected = Buffer.from(csrfTokenFor(deps, auth.session.id))
    if (!sent || sent.length !== expected.length || !timingSafeEqual(Buffer.from(sent), expected)) {
      throw csrfError('missing or wrong token')
    }
    return next()
  }
}

async function formToken(c: Context<AppEnv>): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? ''
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return undefined
  const value = (await c.req.parseBody())._csrf
  return typeof value === 'string' ? value : undefined
}

const csrfError = (why: string) =>
  new AppError({ code: 'auth.csrf', status: 403, title: 'Forbidden', detail: `CSRF check failed: ${why}.` })

export type RequireCitizen = { mfa?: boolean; level?: SecurityLevel }

/**
 * Guards citizen routes: signed in (401), second factor verified unless mfa: false (403), and at
 * least the given security level (403). Until MFA is done only routes with mfa: false are reachable.
 */
export function requireCitizen(opts: RequireCitizen = {}): MiddlewareHandler<AppEnv> {
  const needMfa = opts.mfa ?? true
  return async (c, next) => {
    const auth = c.get('auth')
    if (!auth)
      throw new AppError({
        code: 'auth.unauthenticated',
        status: 401,
        title: 'Unauthorized',
        detail: 'Please sign in.',
      })
    if (needMfa && !auth.session.mfaVerifiedAt) {
      throw new AppError({
        code: 'auth.mfa_required',
        status: 403,
        title: 'Forbidden',
        detail: 'Confirm the second factor first.',
      })
    }
    if (opts.level && levels.indexOf(auth.citizen.securityLevel) < levels.indexOf(opts.level)) {
      throw new AppError({
        code: opts.level === 'eid' ? 'identity.eid_required' : 'identity.not_activated',
        status: 403,
        title: 'Forbidden',
        detail:
          opts.level === 'eid'
            ? 'This needs an eID-verified profile.'
            : 'Activate your profile with the code from your office first.',
      })
    }
    return next()
  }
}

/** The signed-in citizen of a guarded route (requireCitizen ran before). */
export function citizenOf(c: Context<AppEnv>): CitizenAuth {
  const auth = c.get('auth')
  if (!auth) throw new AppError({ code: 'auth.unauthenticated', status: 401, title: 'Unauthorized' })
  return auth
}
