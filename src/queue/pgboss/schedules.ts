import { isDeepStrictEqual } from 'node:util'
import type { PgBoss } from 'pg-boss'
import type { Logger } from '../../logger.ts'

/** Safety margin past the minute so a database clock slightly behind ours has crossed it too. */
const MARGIN_MS = 1000

/**
 * Cron schedules on pg-boss's own scheduler (one row per name, UTC, one job per slot across instances).
 * pg-boss sends any occurrence of the last 60 s, so a row written at 12:00:35 would fire for the 12:00
 * slot that predates it; a new or changed row is therefore written just after the next minute starts.
 */
export function createSchedules(boss: PgBoss, log: Logger) {
  const pending = new Set<NodeJS.Timeout>()

  async function set(name: string, cron: string, data: object): Promise<void> {
    boss.previewSchedule(cron, { tz: 'UTC', count: 1 }) // throws now, to the caller, on a bad expression
    const existing = await boss.getSchedule(name)
    if (
      existing &&
      existing.cron === cron &&
      existing.timezone === 'UTC' &&
      isDeepStrictEqual(existing.data, data)
    ) {
      return
    }
    const wait = 60_000 - (Date.now() % 60_000) + MARGIN_MS
    const timer = setTimeout(() => {
      pending.delete(timer)
      boss
        .schedule(name, cron, data, { tz: 'UTC' })
        .then(() => log.info({ job: name, cron }, 'cron schedule written'))
        .catch((err: Error) =>
          log.error({ job: name, cron, err: { message: err.message } }, 'cron schedule not written'),
        )
    }, wait)
    timer.unref()
    pending.add(timer)
  }

  function stop() {
    for (const timer of pending) clearTimeout(timer)
    pending.clear()
  }

  return { set, stop }
}
