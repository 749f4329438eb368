import type { Job, JobResult } from 'pg-boss'
import type { Logger } from '../../logger.ts'
import type { Handler, JobDef } from '../queue.port.ts'
import { runHandler } from '../run-handler.ts'
import type { Limiter } from './limiter.ts'

/**
 * Runs one job and returns its disposition: `deadletter` fails it at once (skipping the remaining
 * retries) and copies it to the dead letter queue; `failed` lets pg-boss retry with backoff.
 */
export async function runJob(
  job: Job<unknown>,
  queueName: string,
  def: JobDef,
  handler: Handler<unknown>,
  log: Logger,
): Promise<JobResult> {
  const attempt = job.retryCount + 1
  const jobLog = log.child({ jobId: job.id, job: queueName, attempt })
  const delivered = { id: job.id, name: queueName, attempt, payload: job.data }
  const outcome = await runHandler(def, handler, delivered, job.signal, jobLog)
  if (outcome.ok) return { id: job.id, status: 'completed' }
  // The stored output is the failure message only, never the payload.
  const output = { message: outcome.message }
  if (outcome.permanent) {
    jobLog.error({ reason: outcome.message }, 'job failed permanently, no retry')
    return { id: job.id, status: 'deadletter', output }
  }
  jobLog.warn(
    { reason: outcome.message, retryLimit: def.retryLimit },
    'job failed, retried while attempts remain',
  )
  return { id: job.id, status: 'failed', output }
}

/**
 * A perJobResults batch handler: each job of the fetch waits for a slot of the registration's limiter
 * and is settled on its own when the batch ends. A job whose signal aborted while it waited (the batch
 * outran its lease, or stop() gave up waiting) is not started: pg-boss has already failed it for retry.
 */
export function batchHandler(
  queueName: string,
  def: JobDef,
  handler: Handler<unknown>,
  log: Logger,
  limiter: Limiter,
) {
  const runOrSkip = (job: Job<unknown>): Promise<JobResult> =>
    job.signal.aborted
      ? Promise.resolve(notStarted(job, queueName, log))
      : runJob(job, queueName, def, handler, log)
  return (jobs: Job<unknown>[]) => Promise.all(jobs.map((job) => limiter.run(() => runOrSkip(job))))
}

function notStarted(job: Job<unknown>, queueName: string, log: Logger): JobResult {
  const message = 'not started: the batch outran its lease or the worker stopped while the job waited'
  log.warn({ jobId: job.id, job: queueName }, message)
  return { id: job.id, status: 'failed', output: { message } }
}
