import type { SqliteStore } from '../../store/sqlite/store.ts'
import { preparedStatements } from './statements.ts'

// PRAGMA data_version changes when another connection (another process) commits to the file and
// never for this connection's own commits; reading it touches no table.
const statements = preparedStatements({ dataVersion: 'PRAGMA data_version' })

export type ChangeWatch = {
  /** Begins watching; idempotent. */
  start(): void
  /** Stops watching and waits for a check in flight. */
  stop(): Promise<void>
}

/**
 * Calls onChange after another connection committed to the store's file, checked every everyMs:
 * how a worker process learns of jobs sent by the web process sooner than its poll.
 */
export function createChangeWatch(store: SqliteStore, everyMs: number, onChange: () => void): ChangeWatch {
  let running = false
  let timer: NodeJS.Timeout | null = null
  let last: number | null = null
  let inFlight: Promise<void> = Promise.resolve()

  async function check() {
    try {
      const row = await store.exec((db) => statements(db).dataVersion.get() as { data_version: number })
      if (last !== null && row.data_version !== last) onChange()
      last = row.data_version
    } catch {
      // A closed or busy connection: the loops' own poll still finds the jobs.
    }
  }

  function schedule() {
    if (!running) return
    timer = setTimeout(() => {
      inFlight = check().finally(schedule)
    }, everyMs)
    timer.unref()
  }

  return {
    start() {
      if (running) return
      running = true
      inFlight = check().finally(schedule)
    },
    async stop() {
      running = false
      if (timer) clearTimeout(timer)
      timer = null
      await inFlight
    },
  }
}
