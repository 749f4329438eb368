import type { Deps } from '../../deps.ts'
import { removeMessage } from './postbox.service.ts'

const BATCH = 100

/**
 * Removes every message that has lain in a trash longer than TRASH_RETENTION_DAYS: rows, tokens,
 * attachments and blobs, one audited transaction per message. Stops between messages when aborted.
 */
export async function purgeExpiredTrash(
  deps: Pick<Deps, 'store' | 'blobs' | 'log' | 'clock' | 'config'>,
  signal?: AbortSignal,
): Promise<number> {
  const cutoff = new Date(deps.clock().getTime() - deps.config.retention.trashDays * 86_400_000)
  let purged = 0
  for (;;) {
    const batch = await deps.store.postbox.listTrashedBefore(cutoff, BATCH)
    for (const item of batch) {
      signal?.throwIfAborted()
      const message = await deps.store.postbox.getMessage(item.citizenId, item.id)
      // Restored or purged since the listing: a trashedAt that moved past the cutoff stays.
      if (!message?.trashedAt || message.citizenFolder !== 'trash' || message.trashedAt >= cutoff) continue
      if (await removeMessage(deps, message, { kind: 'system', id: null }, 'trash_retention')) purged++
    }
    if (batch.length < BATCH) return purged
  }
}
