import { type Logger, pino } from 'pino'

export type { Logger }

/** Paths that may carry personal data or secrets; pino replaces them with [redacted]. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'body',
  'req.body',
  'payload',
  '*.password',
  '*.token',
  '*.secret',
  '*.email',
  '*.name',
  '*.subject',
  '*.content',
]

/** Root logger; tests pass level 'silent' or their own destination to capture lines. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'postkorb' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: safeError },
    },
    destination,
  )
}

/** Only name, message, code and stack: driver errors carry row values in other fields (pg's `detail`). */
function safeError(err: unknown) {
  if (!(err instanceof Error)) return { message: String(err) }
  return { type: err.name, message: err.message, code: (err as { code?: unknown }).code, stack: err.stack }
}
