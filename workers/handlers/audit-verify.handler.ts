import type { Deps } from '../../src/deps.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** Nightly walk of the audit hash chain; a broken link is an alert for the operators. */
export async function verifyAuditChain(deps: Pick<Deps, 'store'>, _payload: object, ctx: JobContext) {
  const result = await deps.store.audit.verify()
  if (result.ok) ctx.log.info({ entries: result.entries }, 'audit chain intact')
  else
    ctx.log.error(
      { alert: 'audit_chain_broken', brokenAt: result.brokenAt, reason: result.reason },
      'audit chain broken',
    )
}
