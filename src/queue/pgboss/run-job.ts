import type { Job, JobResult } from 'pg-boss'
import type { Logger } from '../../logger.ts'
import type { Handler, JobDef } from '../queue.port.ts'
import { runHandler } from '../run-handler.ts'

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

/** A perJobResults batch handler: the jobs of one fetch run side by side, each settled on its own. */
export function batchHandler(queueName: string, def: JobDef, handler: Handler<unknown>, log: Logger) {
  return (jobs: Job<unknown>[]) => Promise.all(jobs.map((job) => runJob(job, queueName, def, handler, log)))
}
