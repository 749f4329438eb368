import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { z } from 'zod'

/** The only reader of process.env: every setting, its default and why it exists. */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

export const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('Runtime mode; production turns on Secure cookies and requires clamd.'),
  HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Interface the HTTP server binds to (0.0.0.0 in containers).'),
  PORT: int(0, 65535).default(3000).describe('HTTP port.'),
  PUBLIC_URL: z
    .url()
    .optional()
    .describe('External base URL used in links and emails; defaults to http://HOST:PORT.'),
  DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('Directory for the SQLite file, blobs, outbox and the generated key file.'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, 'must start with file: or postgres://')
    .optional()
    .describe('file:./data/postkorb.db (embedded SQLite, default) or postgres://user@host/db (production).'),
  PG_POOL_MAX: int(1, 200).default(10).describe('Connections in the PostgreSQL pool of one process.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024)
    .default(1024 * 1024)
    .describe('Largest JSON/form request body; uploads have their own limit.'),
  MAX_UPLOAD_BYTES: int(1024, 1024 * 1024 * 1024)
    .default(20 * 1024 * 1024)
    .describe('Largest single upload (checked while streaming).'),
  TRUST_PROXY: bool
    .default(false)
    .describe('Take the client address from X-Forwarded-For (only behind a trusted proxy).'),
  WORKER_CONCURRENCY: int(1, 64).default(4).describe('Jobs one worker process runs at once per job type.'),
  QUEUE_POLL_MS: int(50, 60_000)
    .default(500)
    .describe('How often an idle worker looks for due jobs (retries, delayed jobs).'),
  SHUTDOWN_TIMEOUT_MS: int(1000, 600_000)
    .default(30_000)
    .describe('How long SIGTERM waits for requests and jobs in flight.'),
  CLAMD_SOCKET: z.string().optional().describe('Unix socket of clamd (takes precedence over host/port).'),
  CLAMD_HOST: z.string().optional().describe('TCP host of clamd.'),
  CLAMD_PORT: int(1, 65535).default(3310).describe('TCP port of clamd.'),
  CLAMD_TIMEOUT_MS: int(100, 600_000).default(60_000).describe('Time allowed for one clamd scan.'),
  ALLOWED_UPLOAD_TYPES: z
    .string()
    .default('application/pdf,image/jpeg,image/png')
    .transform((v) =>
      v
        .split(',')
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['application/pdf', 'image/jpeg', 'image/png'])).min(1))
    .describe(
      'File types (by their bytes) the upload check accepts, comma-separated: a subset of PDF, JPEG, PNG.',
    ),
  QUARANTINE_RETENTION_DAYS: int(1, 3650)
    .default(30)
    .describe(
      'Days infected and refused files stay in quarantine (encrypted) before the purge job deletes them.',
    ),
  MAX_IMAGE_PIXELS: int(1, 1_000_000_000)
    .default(50_000_000)
    .describe(
      'Largest width × height an uploaded image may declare; larger ones are refused before decoding.',
    ),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional()
    .describe(
      'Outgoing mail server (smtp://user:pass@host:587); without it mail is written as .eml files to DATA_DIR/outbox.',
    ),
  MAIL_FROM: z
    .string()
    .min(3)
    .default('Postkorb <postkorb@localhost>')
    .describe('Sender of every email Postkorb sends.'),
  MAIL_REPLY_LOCAL: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,12}$/, 'lower-case letters, digits, . _ - (at most 13)')
    .default('postkorb')
    .describe('Local part of the signed reply address <local>+<token>@MAIL_REPLY_DOMAIN (at most 13 chars).'),
  MAIL_REPLY_DOMAIN: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'must be a domain name')
    .default('reply.localhost')
    .describe('Domain whose mail the gateway pipes to /v1/inbound/email (reply addresses of routed mail).'),
  INBOUND_MAX_BYTES: int(1024, 1024 * 1024 * 1024)
    .default(32 * 1024 * 1024)
    .describe('Largest raw inbound mail (POST /v1/inbound/email, the pipe); checked while streaming.'),
  INBOUND_MAX_HEADERS: int(10, 100_000)
    .default(500)
    .describe('Most header fields in one inbound mail, all MIME parts together; checked before parsing.'),
  INBOUND_MAX_PARTS: int(1, 10_000)
    .default(100)
    .describe('Most MIME parts in one inbound mail; checked before parsing.'),
  INBOUND_MAX_ATTACHMENTS: int(1, 1000)
    .default(20)
    .describe(
      'Most attachment-like parts in one inbound mail (inline images included); checked before parsing.',
    ),
  INBOUND_AUTHSERV_ID: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a host name')
    .optional()
    .describe(
      'authserv-id of the mail gateway (e.g. mx.jobcenter.example); when set, a reply needs its Authentication-Results with DMARC, or DKIM/SPF aligned to the From domain, passing.',
    ),
  INBOUND_RAW_RETENTION_DAYS: int(1, 3650)
    .default(30)
    .describe(
      'Raw mails left in review are kept (sealed) this long for a person to look at, then their blob is removed.',
    ),
  REPLY_TOKEN_DAYS: int(1, 3650)
    .default(90)
    .describe('Days a signed reply address in a routed email stays valid.'),
  SESSION_IDLE_MINUTES: int(1, 24 * 60)
    .default(30)
    .describe('A citizen session ends after this long without a request.'),
  SESSION_ABSOLUTE_HOURS: int(1, 24 * 7)
    .default(12)
    .describe('A citizen session ends this long after login, whatever its activity.'),
  PASSWORD_MIN_SCORE: int(0, 4)
    .default(3)
    .describe('Lowest zxcvbn strength score (0–4) a new password must reach.'),
  LOGIN_MAX_ATTEMPTS: int(1, 1000)
    .default(5)
    .describe('Failed logins per account in LOGIN_WINDOW_MINUTES before 429.'),
  LOGIN_MAX_ATTEMPTS_PER_IP: int(1, 100_000)
    .default(50)
    .describe('Failed logins per client address in LOGIN_WINDOW_MINUTES before 429.'),
  LOGIN_WINDOW_MINUTES: int(1, 24 * 60)
    .default(15)
    .describe('Window of the login, MFA and activation throttles.'),
  ACTIVATION_MAX_ATTEMPTS: int(1, 100)
    .default(5)
    .describe('Wrong entries after which an activation code is void.'),
  WEBAUTHN_RP_ID: z
    .string()
    .optional()
    .describe("WebAuthn relying party id (the site's host name); defaults to the host of PUBLIC_URL."),
  WEBAUTHN_RP_NAME: z
    .string()
    .default('Postkorb')
    .describe('Name shown by authenticators when a passkey is created.'),
  EID_JWT_PUBLIC_KEY: z
    .string()
    .optional()
    .describe(
      'PEM public key (SPKI) of the identity provider that signs eID assertions; eID level is off without it.',
    ),
  EID_JWT_ISSUER: z.string().optional().describe('Expected issuer (iss) of eID assertions.'),
  EID_JWT_AUDIENCE: z.string().default('postkorb').describe('Expected audience (aud) of eID assertions.'),
  TRASH_RETENTION_DAYS: int(1, 3650)
    .default(30)
    .describe('Messages in a trash longer than this are removed for good (rows, search tokens, blobs).'),
  POSTKORB_KEYS: z
    .string()
    .optional()
    .describe(
      'Key-encryption keys "id:base64key,id2:base64key" (32 bytes each, first is active); else a key file in DATA_DIR.',
    ),
  POSTKORB_INDEX_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64')
    .optional()
    .describe(
      'Key for lookup MACs and blind-index derivation (base64, 32 bytes); required with POSTKORB_KEYS.',
    ),
  POSTKORB_KEY_FILE: z
    .string()
    .optional()
    .describe('Path of the key file (default DATA_DIR/keys.json); generated on first start when embedded.'),
  NOTICE_DEEMED_DAYS: int(1, 30)
    .optional()
    .describe(
      'Days after the notification until an online notice counts as delivered; default 4 (§ 37 Abs. 2a SGB X, notices provided after 31 Dec 2024), 3 before.',
    ),
  NOTICE_POSTAL_FALLBACK_DAYS: int(1, 365)
    .optional()
    .describe(
      'Also send a letter when an online notice is not retrieved within this many days (off when unset).',
    ),
  NOTICE_PUBLIC_HOLIDAYS: z
    .string()
    .regex(/^(\d{4}-\d{2}-\d{2})(,\d{4}-\d{2}-\d{2})*$/, 'comma-separated YYYY-MM-DD dates')
    .optional()
    .describe(
      'Public holidays (YYYY-MM-DD, comma-separated) that move an objection deadline to the next working day.',
    ),
  NOTICE_RETURN_ADDRESS: z
    .string()
    .max(120)
    .optional()
    .describe('Return address line printed above the window of letters (default: the office name).'),
  NOTIFY_DEBOUNCE_SECONDS: int(0, 86_400)
    .default(60)
    .describe(
      'New messages for one citizen within this many seconds become one notification email (0: at once).',
    ),
  SMS_PROVIDER_URL: z
    .url()
    .optional()
    .describe(
      'HTTP endpoint of the SMS provider (POST JSON {to, text}); without it SMS are written to DATA_DIR/sms-outbox.',
    ),
  SMS_PROVIDER_TOKEN: z.string().optional().describe('Bearer token for SMS_PROVIDER_URL.'),
  DELIVERY_MAX_ATTEMPTS: int(1, 100)
    .default(8)
    .describe('Attempts of one delivery (e-file, email) before it is marked failed for an admin to replay.'),
  DELIVERY_RETRY_BASE_MS: int(10, 3_600_000)
    .default(5000)
    .describe('Delay before the first delivery retry; doubles per attempt, with up to 50 % random jitter.'),
  DELIVERY_RETRY_MAX_MS: int(10, 86_400_000)
    .default(3_600_000)
    .describe('Longest delay between two delivery attempts.'),
  EFILE_TIMEOUT_MS: int(100, 600_000)
    .default(30_000)
    .describe('Time allowed for one e-file POST (connect, upload and answer).'),
  CLAIM_LEASE_MINUTES: int(1, 24 * 60)
    .default(30)
    .describe('A claimed service-center item returns to its queue after this long without an answer.'),
  SERVICE_CENTER_SLA_HOURS: int(1, 24 * 90)
    .default(48)
    .describe('Hours until a service-center item is due, for queues whose rule names no SLA of its own.'),
})

export type Env = z.input<typeof envSchema>

export type Config = Readonly<{
  env: 'development' | 'production' | 'test'
  dataDir: string
  http: Readonly<{
    host: string
    port: number
    publicUrl: string
    maxBodyBytes: number
    maxUploadBytes: number
    trustProxy: boolean
    shutdownTimeoutMs: number
  }>
  db: Readonly<{ kind: 'sqlite'; file: string } | { kind: 'pg'; url: string; poolMax: number }>
  log: Readonly<{ level: string }>
  queue: Readonly<{ concurrency: number; pollMs: number }>
  scanner: Readonly<{ socket?: string; host?: string; port: number; timeoutMs: number; required: boolean }>
  uploadCheck: Readonly<{ allowedTypes: readonly string[]; quarantineDays: number; maxImagePixels: number }>
  keys: Readonly<{ inline?: string; indexKey?: string; file: string; generateIfMissing: boolean }>
  mail: Readonly<{ smtpUrl?: string; from: string; outboxDir: string }>
  notices: Readonly<{
    deemedDays?: number
    postalFallbackDays?: number
    holidays: readonly string[]
    returnAddress?: string
  }>
  notify: Readonly<{
    debounceSeconds: number
    sms: Readonly<{ url?: string; token?: string; outboxDir: string }>
  }>
  reply: Readonly<{ local: string; domain: string; tokenDays: number }>
  inbound: Readonly<{
    maxBytes: number
    maxHeaders: number
    maxParts: number
    maxAttachments: number
    authservId?: string
    rawRetentionDays: number
  }>
  retention: Readonly<{ trashDays: number }>
  auth: Readonly<{
    cookieSecure: boolean
    sessionIdleMs: number
    sessionAbsoluteMs: number
    passwordMinScore: number
    loginMaxAttempts: number
    loginMaxAttemptsPerIp: number
    windowMs: number
    activationMaxAttempts: number
    webauthn: Readonly<{ rpId: string; rpName: string; origin: string }>
    eid: Readonly<{ publicKeyPem?: string; issuer?: string; audience: string }>
  }>
  delivery: Readonly<{
    maxAttempts: number
    retryBaseMs: number
    retryMaxMs: number
    efileTimeoutMs: number
    claimLeaseMs: number
    slaHours: number
  }>
}>

export class ConfigError extends Error {
  readonly lines: string[]
  constructor(lines: string[]) {
    super(lines.join('\n'))
    this.lines = lines
  }
}

/** Parses raw variables into a frozen Config; throws ConfigError listing every bad variable. */
export function parseConfig(raw: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''))
  const result = envSchema.safeParse(cleaned)
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => {
        const key = String(i.path[0] ?? '?')
        const got = cleaned[key] === undefined ? 'missing' : `got ${JSON.stringify(cleaned[key])}`
        return `config error: ${key}: ${i.message} (${got})`
      }),
    )
  }
  const e = result.data
  const dataDir = path.resolve(e.DATA_DIR)
  const dbUrl = e.DATABASE_URL ?? `file:${path.join(dataDir, 'postkorb.db')}`
  const db: Config['db'] = dbUrl.startsWith('file:')
    ? {
        kind: 'sqlite',
        file: dbUrl === 'file::memory:' ? ':memory:' : path.resolve(dbUrl.slice('file:'.length)),
      }
    : { kind: 'pg', url: dbUrl, poolMax: e.PG_POOL_MAX }
  const production = e.NODE_ENV === 'production'
  if (e.POSTKORB_KEYS && !e.POSTKORB_INDEX_KEY) {
    throw new ConfigError(['config error: POSTKORB_INDEX_KEY: required when POSTKORB_KEYS is set (missing)'])
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://${e.HOST}:${e.PORT}`).replace(/\/$/, '')
  return deepFreeze({
    env: e.NODE_ENV,
    dataDir,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicUrl,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      trustProxy: e.TRUST_PROXY,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    },
    db,
    log: { level: e.LOG_LEVEL },
    queue: { concurrency: e.WORKER_CONCURRENCY, pollMs: e.QUEUE_POLL_MS },
    scanner: {
      socket: e.CLAMD_SOCKET,
      host: e.CLAMD_HOST,
      port: e.CLAMD_PORT,
      timeoutMs: e.CLAMD_TIMEOUT_MS,
      required: production,
    },
    uploadCheck: {
      allowedTypes: e.ALLOWED_UPLOAD_TYPES,
      quarantineDays: e.QUARANTINE_RETENTION_DAYS,
      maxImagePixels: e.MAX_IMAGE_PIXELS,
    },
    keys: {
      inline: e.POSTKORB_KEYS,
      indexKey: e.POSTKORB_INDEX_KEY,
      file: path.resolve(e.POSTKORB_KEY_FILE ?? path.join(dataDir, 'keys.json')),
      generateIfMissing: !production && !e.POSTKORB_KEYS,
    },
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM, outboxDir: path.join(dataDir, 'outbox') },
    notices: {
      deemedDays: e.NOTICE_DEEMED_DAYS,
      postalFallbackDays: e.NOTICE_POSTAL_FALLBACK_DAYS,
      holidays: e.NOTICE_PUBLIC_HOLIDAYS ? e.NOTICE_PUBLIC_HOLIDAYS.split(',') : [],
      returnAddress: e.NOTICE_RETURN_ADDRESS,
    },
    notify: {
      debounceSeconds: e.NOTIFY_DEBOUNCE_SECONDS,
      sms: {
        url: e.SMS_PROVIDER_URL,
        token: e.SMS_PROVIDER_TOKEN,
        outboxDir: path.join(dataDir, 'sms-outbox'),
      },
    },
    reply: {
      local: e.MAIL_REPLY_LOCAL,
      domain: e.MAIL_REPLY_DOMAIN.toLowerCase(),
      tokenDays: e.REPLY_TOKEN_DAYS,
    },
    inbound: {
      maxBytes: e.INBOUND_MAX_BYTES,
      maxHeaders: e.INBOUND_MAX_HEADERS,
      maxParts: e.INBOUND_MAX_PARTS,
      maxAttachments: e.INBOUND_MAX_ATTACHMENTS,
      authservId: e.INBOUND_AUTHSERV_ID?.toLowerCase(),
      rawRetentionDays: e.INBOUND_RAW_RETENTION_DAYS,
    },
    retention: { trashDays: e.TRASH_RETENTION_DAYS },
    auth: {
      cookieSecure: production || publicUrl.startsWith('https://'),
      sessionIdleMs: e.SESSION_IDLE_MINUTES * 60_000,
      sessionAbsoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000,
      passwordMinScore: e.PASSWORD_MIN_SCORE,
      loginMaxAttempts: e.LOGIN_MAX_ATTEMPTS,
      loginMaxAttemptsPerIp: e.LOGIN_MAX_ATTEMPTS_PER_IP,
      windowMs: e.LOGIN_WINDOW_MINUTES * 60_000,
      activationMaxAttempts: e.ACTIVATION_MAX_ATTEMPTS,
      webauthn: {
        rpId: e.WEBAUTHN_RP_ID ?? new URL(publicUrl).hostname,
        rpName: e.WEBAUTHN_RP_NAME,
        origin: publicUrl,
      },
      eid: { publicKeyPem: e.EID_JWT_PUBLIC_KEY, issuer: e.EID_JWT_ISSUER, audience: e.EID_JWT_AUDIENCE },
    },
    delivery: {
      maxAttempts: e.DELIVERY_MAX_ATTEMPTS,
      retryBaseMs: e.DELIVERY_RETRY_BASE_MS,
      retryMaxMs: e.DELIVERY_RETRY_MAX_MS,
      efileTimeoutMs: e.EFILE_TIMEOUT_MS,
      claimLeaseMs: e.CLAIM_LEASE_MINUTES * 60_000,
      slaHours: e.SERVICE_CENTER_SLA_HOURS,
    },
  })
}

/** process.env over an optional .env file in the working directory (process.env wins). */
export function readEnv(cwd = process.cwd()): Record<string, string | undefined> {
  const file = path.join(cwd, '.env')
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {}
  return { ...fromFile, ...process.env }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
