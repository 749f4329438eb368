import type { Deps } from '../../src/deps.ts'
import { scanUnretrievedNotices } from '../../src/features/notices/notices.fallback.ts'

/** Daily: a letter for online notices nobody retrieved within NOTICE_POSTAL_FALLBACK_DAYS. */
export async function scanUnretrievedNoticesJob(deps: Deps) {
  await scanUnretrievedNotices(deps)
}
