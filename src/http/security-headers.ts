import type { MiddlewareHandler } from 'hono'
import { secureHeaders } from 'hono/secure-headers'

const ONE_YEAR = 31_536_000

/** Hono's secure defaults plus HSTS ≥ 1 year, a strict CSP without inline script, and a narrow permissions policy. */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    strictTransportSecurity: `max-age=${ONE_YEAR}; includeSubDomains`,
    xFrameOptions: 'DENY',
    xContentTypeOptions: 'nosniff',
    referrerPolicy: 'no-referrer',
    crossOriginOpenerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
    },
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  })
}

/** Personal data must never sit in a shared or browser cache: every API answer is no-store. */
export function noStore(): MiddlewareHandler {
  return async (c, next) => {
    await next()
    c.header('Cache-Control', 'no-store')
    c.header('Pragma', 'no-cache')
  }
}
