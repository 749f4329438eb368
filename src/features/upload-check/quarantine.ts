import type { Deps } from '../../deps.ts'

const BATCH = 200
const DAY_MS = 86_400_000

/**
 * Deletes the blobs of infected and refused files whose quarantine (QUARANTINE_RETENTION_DAYS)
 * has ended; the rows stay, so the citizen still sees which file was refused and why.
 * Blob first, then the mark: a crash in between only repeats a harmless delete.
 */
export async function purgeQuarantine(deps: Pick<Deps, 'config' | 'store' | 'blobs' | 'clock' | 'log'>) {
  const now = deps.clock()
  const before = new Date(now.getTime() - deps.config.uploadCheck.quarantineDays * DAY_MS)
  let purged = 0
  for (;;) {
    const due = await deps.store.uploadChecks.listQuarantineDue(before, BATCH)
    for (const item of due) {
      await deps.blobs.delete(item.blobKey)
      if (await deps.store.uploadChecks.markPurged(item.id, now)) purged++
    }
    if (due.length < BATCH) break
  }
  deps.log.info({ purged }, 'quarantine purged')
  return purged
}

/** Puts every scan_failed attachment back to pending with a new upload.check job (one transaction each). */
export async function requeueFailedScans(deps: Pick<Deps, 'store' | 'queue' | 'log'>): Promise<number> {
  let requeued = 0
  for (;;) {
    const ids = await deps.store.uploadChecks.listFailed(BATCH)
    for (const attachmentId of ids) {
      const done = await deps.store.transaction(async (tx) => {
        if (!(await tx.uploadChecks.resetFailed(attachmentId))) return false
        await deps.queue.send('upload.check', { attachmentId }, { tx })
        await tx.audit.append({
          actorKind: 'system',
          actorId: null,
          action: 'upload_check.requeue',
          subjectKind: 'attachment',
          subjectId: attachmentId,
        })
        return true
      })
      if (done) requeued++
    }
    if (ids.length < BATCH) break
  }
  deps.log.info({ requeued }, 'failed scans requeued')
  return requeued
}
