import type { AppDeps } from '../deps.ts'
import type { Logger } from '../logger.ts'

/** Variables every handler can read from the Hono context. */
export type AppEnv = {
  Variables: {
    requestId: string
    log: Logger
    deps: AppDeps
  }
}
