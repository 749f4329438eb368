import { z } from 'zod'
import type { Catalog, JobDef } from './queue.port.ts'

const id = z.uuid()
const def = (payload: z.ZodType, over: Partial<JobDef> = {}): JobDef => ({
  payload,
  retryLimit: 8,
  retryDelaySeconds: 5,
  retryBackoff: true,
  retryDelayMaxSeconds: 3600,
  expireInSeconds: 300,
  deadLetter: true,
  ...over,
})

/** Every job Postkorb runs: payloads carry ids only, never content. */
export const jobs = {
  'upload.check': def(z.object({ attachmentId: id })),
  'message.route': def(z.object({ messageId: id })),
  'deliver.efile': def(z.object({ deliveryId: id }), { retryLimit: 10 }),
  'deliver.email': def(z.object({ deliveryId: id }), { retryLimit: 10 }),
  'deliver.queue': def(z.object({ deliveryId: id })),
  'inbound.email': def(z.object({ inboundId: id })),
  'notice.deliver': def(z.object({ messageId: id })),
  'notify.citizen': def(z.object({ citizenId: id })),
  'retention.purge': def(z.object({}), { retryLimit: 2, expireInSeconds: 1800 }),
} satisfies Catalog

export type Jobs = typeof jobs
export type JobName = keyof Jobs
