import { Cron } from 'croner'
import type { Logger } from '../../logger.ts'

/** Fires once per cron slot: `tick` gets the slot's ISO time (UTC) to key the job by. */
export type ScheduleTick = (name: string, payload: unknown, slotIso: string) => Promise<void>

/** In-memory cron schedules of one embedded queue; they run while the queue is started. */
export function createSchedules(tick: ScheduleTick, log: Logger) {
  const specs = new Map<string, { cron: string; payload: unknown }>()
  const timers = new Map<string, Cron>()
  let running = false

  function arm(name: string) {
    const spec = specs.get(name)
    if (!spec) return
    timers.get(name)?.stop()
    const timer = new Cron(spec.cron, { timezone: 'UTC', protect: true, mode: '5-part' }, () => {
      // croner never fires early, so flooring to the second gives the slot itself.
      const slot = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString()
      return tick(name, spec.payload, slot).catch((err: unknown) => {
        log.error({ job: name, error: err instanceof Error ? err.message : String(err) }, 'cron send failed')
      })
    })
    timers.set(name, timer)
  }

  return {
    /** Adds or replaces the schedule of name; validates the pattern at once. */
    set(name: string, cron: string, payload: unknown) {
      new Cron(cron, { timezone: 'UTC', paused: true, mode: '5-part' }).stop()
      specs.set(name, { cron, payload })
      if (running) arm(name)
    },
    start() {
      if (running) return
      running = true
      for (const name of specs.keys()) arm(name)
    },
    stop() {
      running = false
      for (const timer of timers.values()) timer.stop()
      timers.clear()
    },
  }
}
