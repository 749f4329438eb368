import { z } from 'zod'
import type { Catalog, JobDef } from './queue.port.ts'

const def = <S extends z.ZodType>(payload: S, over: Partial<Omit<JobDef, 'payload'>> = {}): JobDef<S> => ({
  payload,
  retryLimit: 8,
  retryDelaySeconds: 5,
  retryBackoff: true,
  retryDelayMaxSeconds: 3600,
  expireInSeconds: 300,
  deadLetter: true,
  ...over,
})

/**
 * Every job Postkorb runs; payloads carry ids only, never content. Each feature issue adds its
 * jobs here and its handler in workers/registry.ts (the registry fails to compile without it).
 */
export const jobs = {
  'audit.verify': def(z.object({}), { retryLimit: 2, expireInSeconds: 1800, batchSize: 1 }),
  /** A sent citizen message without attachments, to be routed to its office (issue 6). */
  'message.route': def(z.object({ messageId: z.uuid() })),
  /** One attachment of a sent message, to be checked by type and virus scanner (issue 5). */
  'upload.check': def(z.object({ attachmentId: z.uuid() })),
  /** Hourly: trash older than TRASH_RETENTION_DAYS is removed for good. */
  'retention.purge': def(z.object({}), { retryLimit: 3, expireInSeconds: 1800, batchSize: 1 }),
  /** A new office message or notice for a citizen: a content-free notification (issue 7 builds it). */
  'notify.citizen': def(z.object({ citizenId: z.uuid(), messageId: z.uuid() })),
  /** A raw inbound mail, stored sealed: parsed, matched to its thread by reply token or Message-ID (issue 6). */
  'inbound.email': def(z.object({ inboundId: z.uuid() }), { retryLimit: 5, expireInSeconds: 300 }),
  /** Daily: raw mails kept for review past INBOUND_RAW_RETENTION_DAYS lose their sealed blob. */
  'inbound.purge': def(z.object({}), { retryLimit: 3, expireInSeconds: 1800, batchSize: 1 }),
  /** A received notice: check its document, decide the channel once, place it online or queue its letter (issue 7). */
  'notice.deliver': def(z.object({ noticeId: z.uuid() }), { expireInSeconds: 600, batchSize: 1 }),
  /** The debounced notifications of one citizen: one email for everything pending (issue 7). */
  'notify.send': def(z.object({ citizenId: z.uuid() }), { retryLimit: 12, retryDelaySeconds: 5 }),
  /** Daily: letters for online notices not retrieved within NOTICE_POSTAL_FALLBACK_DAYS (issue 7). */
  'notice.fallback_scan': def(z.object({}), { retryLimit: 2, batchSize: 1 }),
  /** A notice's dates pushed to the office's e-file endpoint as a signed receipt event (issue 7). */
  'notice.receipt': def(
    z.object({
      noticeId: z.uuid(),
      event: z.enum([
        'provided',
        'notified',
        'notification_failed',
        'retrieved',
        'letter_queued',
        'letter_handed_over',
        'refused',
      ]),
    }),
    { expireInSeconds: 120 },
  ),
  /** Deletes quarantined blobs past QUARANTINE_RETENTION_DAYS (issue 5, scheduled). */
  'quarantine.purge': def(z.object({}), { retryLimit: 2, expireInSeconds: 1800, batchSize: 1 }),
  /** One delivery to the office's e-file endpoint (issue 6); its own retries live on the delivery row. */
  'deliver.efile': def(z.object({ deliveryId: z.uuid() }), { expireInSeconds: 120, batchSize: 2 }),
  /** One delivery to an office inbox by SMTP (issue 6). */
  'deliver.email': def(z.object({ deliveryId: z.uuid() }), { expireInSeconds: 120, batchSize: 2 }),
  /** One delivery into a service-center queue: an item with its due date (issue 6). */
  'deliver.queue': def(z.object({ deliveryId: z.uuid() })),
  /** Scheduled: marks overdue service-center items and returns expired claims to their queue (issue 6). */
  'service-center.sweep': def(z.object({}), { retryLimit: 1, batchSize: 1 }),
} satisfies Catalog

export type Jobs = typeof jobs
export type JobName = keyof Jobs
