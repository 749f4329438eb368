import type { Deps } from '../../deps.ts'

const BATCH = 100

/**
 * Removes the sealed raw blob of every inbound mail received more than INBOUND_RAW_RETENTION_DAYS ago
 * (appended ones lost theirs already): the row with its reason and counts stays for the record.
 */
export async function purgeInboundRawMails(
  deps: Pick<Deps, 'store' | 'blobs' | 'log' | 'clock' | 'config'>,
  signal?: AbortSignal,
): Promise<number> {
  const cutoff = new Date(deps.clock().getTime() - deps.config.inbound.rawRetentionDays * 86_400_000)
  let purged = 0
  for (;;) {
    const batch = await deps.store.inbound.listRawBefore(cutoff, BATCH)
    for (const { id, blobKey } of batch) {
      signal?.throwIfAborted()
      // Row first: a crash after it leaves an orphan blob nobody can name, never a row naming no blob.
      if (!(await deps.store.inbound.dropRaw(id, blobKey))) continue
      await deps.blobs.delete(blobKey)
      purged++
    }
    if (batch.length < BATCH) return purged
  }
}
