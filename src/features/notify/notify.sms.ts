import { randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '../../config.ts'

/** Sends one SMS; resolves with the provider's id once the provider accepted it. */
export type SmsSender = { send(to: string, text: string, signal?: AbortSignal): Promise<{ id: string }> }

/** The configured SMS provider: HTTP (SMS_PROVIDER_URL) or, embedded, files in DATA_DIR/sms-outbox. */
export function createSmsSender(sms: Config['notify']['sms']): SmsSender {
  return sms.url ? httpSmsSender(sms.url, sms.token) : outboxSmsSender(sms.outboxDir)
}

/** POSTs {to, text} as JSON with a Bearer token; any non-2xx answer is a failure (retried by the job). */
export function httpSmsSender(url: string, token?: string): SmsSender {
  return {
    async send(to, text, signal) {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ to, text }),
        ...(signal ? { signal } : {}),
      })
      if (!res.ok)
        throw Object.assign(new Error(`SMS provider answered ${res.status}`), { status: res.status })
      const body = (await res.json().catch(() => ({}))) as { id?: unknown }
      return { id: typeof body.id === 'string' ? body.id : `http-${res.status}` }
    },
  }
}

/** Embedded default: one JSON file per SMS (mode 0600), written under a temporary name and renamed. */
export function outboxSmsSender(dir: string): SmsSender {
  return {
    async send(to, text) {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const id = `${new Date().toISOString().replaceAll(':', '-')}-${randomBytes(6).toString('hex')}`
      const tmp = path.join(dir, `.${id}.tmp`)
      await writeFile(tmp, JSON.stringify({ to, text }), { mode: 0o600, flag: 'wx' })
      await rename(tmp, path.join(dir, `${id}.json`))
      return { id }
    },
  }
}
