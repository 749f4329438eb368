import type { Deps } from '../src/deps.ts'
import type { JobName, Jobs } from '../src/queue/jobs.catalog.ts'
import type { JobContext, PayloadOf } from '../src/queue/queue.port.ts'
import { verifyAuditChain } from './handlers/audit-verify.handler.ts'
import { deliverEfile } from './handlers/deliver-efile.handler.ts'
import { deliverEmail } from './handlers/deliver-email.handler.ts'
import { deliverQueue } from './handlers/deliver-queue.handler.ts'
import { handleInboundEmail, purgeInboundRaw } from './handlers/inbound-email.handler.ts'
import { routeMessage } from './handlers/message-route.handler.ts'
import { deliverNoticeJob } from './handlers/notice-deliver.handler.ts'
import { scanUnretrievedNoticesJob } from './handlers/notice-fallback-scan.handler.ts'
import { pushReceiptJob } from './handlers/notice-receipt.handler.ts'
import { notifyCitizen } from './handlers/notify-citizen.handler.ts'
import { sendNotificationsJob } from './handlers/notify-send.handler.ts'
import { purgeQuarantined } from './handlers/quarantine-purge.handler.ts'
import { purgeRetention } from './handlers/retention-purge.handler.ts'
import { sweepServiceCenter } from './handlers/service-center-sweep.handler.ts'
import { checkUpload } from './handlers/upload-check.handler.ts'

export type BoundHandler<N extends JobName> = (
  deps: Deps,
  payload: PayloadOf<Jobs, N>,
  ctx: JobContext,
) => Promise<void>

/** One handler per job in the catalog: a job without a handler fails to compile. */
export const registry = {
  'audit.verify': verifyAuditChain,
  'message.route': routeMessage,
  'upload.check': checkUpload,
  'notify.citizen': notifyCitizen,
  'inbound.email': handleInboundEmail,
  'inbound.purge': purgeInboundRaw,
  'retention.purge': purgeRetention,
  'notice.deliver': deliverNoticeJob,
  'notify.send': sendNotificationsJob,
  'notice.fallback_scan': scanUnretrievedNoticesJob,
  'notice.receipt': pushReceiptJob,
  'quarantine.purge': purgeQuarantined,
  'deliver.efile': deliverEfile,
  'deliver.email': deliverEmail,
  'deliver.queue': deliverQueue,
  'service-center.sweep': sweepServiceCenter,
} satisfies { [N in JobName]: BoundHandler<N> }

/** Recurring jobs (UTC cron). */
export const schedules: { name: JobName; cron: string }[] = [
  { name: 'audit.verify', cron: '17 3 * * *' },
  { name: 'retention.purge', cron: '41 * * * *' },
  { name: 'inbound.purge', cron: '53 2 * * *' },
  { name: 'notice.fallback_scan', cron: '40 5 * * *' },
  { name: 'quarantine.purge', cron: '43 2 * * *' },
  { name: 'service-center.sweep', cron: '* * * * *' },
]
