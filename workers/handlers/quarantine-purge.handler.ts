import type { Deps } from '../../src/deps.ts'
import { purgeQuarantine } from '../../src/features/upload-check/quarantine.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** Nightly: quarantined files past QUARANTINE_RETENTION_DAYS lose their (encrypted) content. */
export async function purgeQuarantined(deps: Deps, _payload: object, _ctx: JobContext) {
  await purgeQuarantine(deps)
}
