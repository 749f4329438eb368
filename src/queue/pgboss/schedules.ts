import { isDeepStrictEqual } from 'node:util'
import type { PgBoss } from 'pg-boss'
import type { Logger } from '../../logger.ts'

/**
 * Writes a cron schedule to pg-boss's own scheduler (one row per name, UTC, one job per slot across
 * instances), at once and only when it differs. pg-boss may then fire the current minute's slot: the
 * slot is the whole minute. A bad expression or a failed write rejects to the caller.
 */
export async function writeSchedule(
  boss: PgBoss,
  log: Logger,
  name: string,
  cron: string,
  data: object,
): Promise<void> {
  boss.previewSchedule(cron, { tz: 'UTC', count: 1 }) // throws on a bad expression before anything is written
  const existing = await boss.getSchedule(name)
  if (
    existing &&
    existing.cron === cron &&
    existing.timezone === 'UTC' &&
    isDeepStrictEqual(existing.data, data)
  ) {
    return
  }
  await boss.schedule(name, cron, data, { tz: 'UTC' })
  log.info({ job: name, cron }, 'cron schedule written')
}
