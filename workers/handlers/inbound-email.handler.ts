import type { Deps } from '../../src/deps.ts'
import { processInboundMail } from '../../src/features/inbound/inbound.process.ts'
import { purgeInboundRawMails } from '../../src/features/inbound/inbound.retention.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'

/** Parses one received mail and appends it to its thread or puts it on the review list. */
export async function handleInboundEmail(deps: Deps, payload: { inboundId: string }, ctx: JobContext) {
  const result = await processInboundMail(deps, payload.inboundId)
  ctx.log.info(
    { inboundId: payload.inboundId, state: result.state, reason: result.reason },
    'inbound.email done',
  )
}

/** Daily: raw mails past INBOUND_RAW_RETENTION_DAYS lose their sealed blob. */
export async function purgeInboundRaw(
  deps: Pick<Deps, 'store' | 'blobs' | 'log' | 'clock' | 'config'>,
  _payload: object,
  ctx: JobContext,
) {
  const purged = await purgeInboundRawMails(deps, ctx.signal)
  ctx.log.info({ purged }, 'inbound raw retention done')
}
