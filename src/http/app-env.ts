import type { AppDeps } from '../deps.ts'
import type { Logger } from '../logger.ts'
import type { CitizenAuth } from './citizen-session.ts'
import type { StaffAuth } from './staff-auth.ts'

/** Variables every handler can read from the Hono context. */
export type AppEnv = {
  Variables: {
    requestId: string
    log: Logger
    deps: AppDeps
    /** Set by citizenSession when a valid session cookie came with the request. */
    auth?: CitizenAuth
    /** Set by staffAuth when a valid, unrevoked API token came as Bearer. */
    staff?: StaffAuth
  }
}
