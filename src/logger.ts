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
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  )
}
