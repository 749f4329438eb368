import type { Deps } from '../src/deps.ts'
import type { JobName } from '../src/queue/jobs.catalog.ts'
import { type BoundHandler, registry, schedules } from './registry.ts'

/** Binds every handler to the queue and registers the schedules; the queue must be started. */
export async function startWorkers(deps: Deps): Promise<void> {
  const bind = <N extends JobName>(name: N) => {
    const handler = registry[name] as BoundHandler<N>
    return deps.queue.work(name, (payload, ctx) => handler(deps, payload, ctx))
  }
  for (const name of Object.keys(registry) as JobName[]) await bind(name)
  for (const s of schedules) await deps.queue.schedule(s.name, s.cron, {})
  deps.log.info({ jobs: Object.keys(registry).length, schedules: schedules.length }, 'workers started')
}
