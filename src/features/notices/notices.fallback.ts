import type { Deps } from '../../deps.ts'

const BATCH = 200

/**
 * Online notices not retrieved within NOTICE_POSTAL_FALLBACK_DAYS get a letter as well (off when
 * unset): each is marked with its fallback reason and notice.deliver queues the letter.
 */
export async function scanUnretrievedNotices(
  deps: Pick<Deps, 'store' | 'queue' | 'clock' | 'config' | 'log'>,
) {
  const days = deps.config.notices.postalFallbackDays
  if (days === undefined) return 0
  const before = new Date(deps.clock().getTime() - days * 86_400_000)
  let marked = 0
  for (;;) {
    const due = await deps.store.notices.listUnretrieved(before, BATCH)
    for (const n of due) {
      await deps.store.transaction(async (tx) => {
        await tx.notices.update(n.id, { fallbackReason: 'not_retrieved' })
        await tx.audit.append({
          actorKind: 'system',
          actorId: null,
          action: 'notice.postal_fallback',
          subjectKind: 'notice',
          subjectId: n.id,
          officeId: n.officeId,
          details: { reason: 'not_retrieved', days },
        })
        await deps.queue.send('notice.deliver', { noticeId: n.id }, { tx })
      })
      marked++
    }
    if (due.length < BATCH) break
  }
  if (marked > 0) deps.log.info({ notices: marked, days }, 'postal fallback for unretrieved notices')
  return marked
}
