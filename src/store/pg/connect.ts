import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import type { Logger } from '../../logger.ts'

/** The URL without its password, safe for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '<unparseable database url>'
  }
}

// Errors that mean "not reachable yet": refused, reset, DNS, timeouts, and PostgreSQL still starting up.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P03', // cannot_connect_now
])

function isTransient(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  if (e.code && TRANSIENT_CODES.has(e.code)) return true
  return /timeout|terminated/i.test(e.message ?? '')
}

export type WaitOptions = { attempts: number; delayMs: number; log?: Logger }

/**
 * Retries a `select 1` while PostgreSQL is not reachable yet (containers start in any order).
 * Wrong credentials or a missing database fail at once: waiting cannot fix them.
 */
export async function waitForPg(url: string, { attempts, delayMs, log }: WaitOptions): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: Math.max(delayMs, 2000) })
    client.on('error', () => undefined)
    try {
      await client.connect()
      await client.query('select 1')
      return
    } catch (err) {
      const message = (err as Error).message
      if (!isTransient(err) || attempt >= attempts) {
        throw new Error(
          `PostgreSQL at ${redactUrl(url)} not usable after ${attempt} attempt(s): ${message}`,
          {
            cause: err,
          },
        )
      }
      log?.warn(
        { db: redactUrl(url), attempt, attempts, reason: message },
        'PostgreSQL not reachable yet, retrying',
      )
      await sleep(delayMs)
    } finally {
      await client.end().catch(() => undefined)
    }
  }
}
