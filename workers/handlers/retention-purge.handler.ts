import type { Deps } from '../../src/deps.ts'
import { purgeExpiredTrash } from '../../src/features/postbox/postbox.retention.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** Hourly retention: trash past TRASH_RETENTION_DAYS goes for good (rows, tokens, blobs). */
export async function purgeRetention(
  deps: Pick<Deps, 'store' | 'blobs' | 'log' | 'clock' | 'config'>,
  _payload: object,
  ctx: JobContext,
) {
  const purged = await purgeExpiredTrash(deps, ctx.signal)
  ctx.log.info({ purged }, 'trash retention done')
}
