import { createApp } from '../../src/app.ts'
import { type AppDeps, buildDeps, type Deps } from '../../src/deps.ts'
import { createLogger } from '../../src/logger.ts'
import { type BackendKind, makeTestDatabase } from './backends.ts'
import { makeTestConfig } from './config.ts'

export type TestApp = {
  app: ReturnType<typeof createApp>
  deps: AppDeps
  logs: string[]
  close(): Promise<void>
}

export type TestAppOptions = {
  /** Replaces the configured queue (e.g. one with a faster retry catalog), built on the real deps. */
  queue?: (deps: Deps, databaseUrl: string) => Deps['queue']
}

/** Real deps (store, queue, scanner) on a fresh database, logs captured as JSON lines. */
export async function makeTestApp(
  kind: BackendKind,
  env: Record<string, string | undefined> = {},
  opts: TestAppOptions = {},
): Promise<TestApp> {
  const db = await makeTestDatabase(kind)
  const config = makeTestConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'info', ...env })
  const logs: string[] = []
  const log = createLogger('info', { write: (line: string) => void logs.push(line) })
  const base = buildDeps(config, log)
  const deps: AppDeps = {
    ...base,
    ...(opts.queue ? { queue: opts.queue(base, db.url) } : {}),
    lifecycle: { draining: false },
  }
  await deps.store.migrate()
  await deps.queue.start()
  return {
    app: createApp(deps),
    deps,
    logs,
    async close() {
      await deps.queue.stop({ graceful: false, timeoutMs: 1000 })
      await deps.store.close()
      await db.cleanup()
    },
  }
}
