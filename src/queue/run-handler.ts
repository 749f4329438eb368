import type { z } from 'zod'
import { isAppError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { type Catalog, type Handler, type JobDef, PermanentJobError } from './queue.port.ts'

/** What became of one delivery of a job; shared by both queue backends. */
export type JobOutcome = { ok: true } | { ok: false; permanent: boolean; message: string }

export type DeliveredJob = { id: string; name: string; attempt: number; payload: unknown }

/** The catalog entry of a job name, or a loud error for a name the catalog does not know. */
export function jobDef(catalog: Catalog, name: string): JobDef {
  const def = catalog[name]
  if (!def) throw new Error(`unknown job "${name}": not in the job catalog`)
  return def
}

/** Parses a payload for sending; the error names the failing fields but never their values. */
export function parseSendPayload(catalog: Catalog, name: string, payload: unknown): unknown {
  const parsed = jobDef(catalog, name).payload.safeParse(payload)
  if (parsed.success) return parsed.data
  throw new Error(`invalid payload for job "${name}": ${describeIssues(parsed.error)}`, {
    cause: parsed.error,
  })
}

/** Field paths and zod messages only: payload values must not reach logs or errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
}

/** Failures no retry can fix: PermanentJobError and AppErrors marked not retryable. */
export function isPermanentFailure(err: unknown): boolean {
  return err instanceof PermanentJobError || (isAppError(err) && !err.retryable)
}

/** Validates the stored payload, runs the handler and turns whatever it throws into an outcome. */
export async function runHandler(
  def: JobDef,
  handler: Handler<unknown>,
  job: DeliveredJob,
  signal: AbortSignal,
  log: Logger,
): Promise<JobOutcome> {
  const parsed = def.payload.safeParse(job.payload)
  if (!parsed.success) {
    return { ok: false, permanent: true, message: `invalid payload: ${describeIssues(parsed.error)}` }
  }
  try {
    await handler(parsed.data, { id: job.id, name: job.name, attempt: job.attempt, signal, log })
    return { ok: true }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    return { ok: false, permanent: isPermanentFailure(err), message }
  }
}

/** Delay before the next attempt after `attempt` failed, in ms (exponential when backoff is on). */
export function retryDelayMs(
  def: Pick<JobDef, 'retryDelaySeconds' | 'retryBackoff' | 'retryDelayMaxSeconds'>,
  attempt: number,
): number {
  const base = def.retryDelaySeconds * 1000
  if (!def.retryBackoff) return base
  return Math.min(base * 2 ** (attempt - 1), def.retryDelayMaxSeconds * 1000)
}
