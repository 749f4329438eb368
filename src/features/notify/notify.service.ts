import { randomUUID } from 'node:crypto'
import { notifyMails } from '../../../templates/mail/notify.ts'
import { citizenKey, openForCitizen } from '../../crypto/citizen-keys.ts'
import type { Deps } from '../../deps.ts'
import { jobs } from '../../queue/jobs.catalog.ts'
import type { JobContext } from '../../queue/queue.port.ts'
import type { Notice, Notification, NotificationChannel } from '../../store/notices.types.ts'
import type { Citizen } from '../../store/store.types.ts'
import { deemedDelivery } from '../notices/notices.dates.ts'
import { enqueueReceipt } from '../notices/notices.receipt.ts'
import { createSmsSender, type SmsSender } from './notify.sms.ts'

type NotifyDeps = Pick<Deps, 'store' | 'queue' | 'keyring' | 'clock' | 'log' | 'config' | 'mailer'>

/**
 * notify.citizen: records what the citizen should hear about (email when enabled, SMS for
 * appointment messages when enabled) and schedules a notify.send at the end of the debounce
 * window; the first send that comes due claims every pending row, so several messages within
 * NOTIFY_DEBOUNCE_SECONDS become one email and the later sends find nothing left to do.
 */
export async function enqueueNotification(
  deps: NotifyDeps,
  payload: { citizenId: string; messageId: string },
): Promise<void> {
  const { citizenId, messageId } = payload
  const citizen = await deps.store.citizens.get(citizenId)
  const message = citizen ? await deps.store.postbox.getMessage(citizenId, messageId) : null
  if (!citizen || !message || message.direction !== 'office_to_citizen') return
  const thread = await deps.store.postbox.getThread(citizenId, message.threadId)
  const sms = thread?.category === 'appointment' && citizen.smsAppointments && citizen.phoneEnc !== null
  const channels: NotificationChannel[] = [
    ...(citizen.notifyEmail ? (['email'] as const) : []),
    ...(sms ? (['sms'] as const) : []),
  ]
  const notice = message.kind === 'notice' ? await deps.store.notices.getByMessage(messageId) : null
  const now = deps.clock()
  const window = deps.config.notify.debounceSeconds * 1000
  await deps.store.transaction(async (tx) => {
    let added = 0
    for (const channel of channels) {
      const row: Notification = {
        id: randomUUID(),
        citizenId,
        messageId,
        channel,
        state: 'pending',
        attempts: 0,
        error: null,
        externalId: null,
        createdAt: now,
        claimedAt: null,
        sentAt: null,
      }
      if (await tx.notifications.enqueue(row)) added++
    }
    // Without an email the notification cannot be shown to have arrived: retrieval will count.
    if (notice && !citizen.notifyEmail && notice.notifyState === 'pending')
      await tx.notices.update(notice.id, { notifyState: 'off' })
    if (added === 0) return
    // One send per message, due when its window closes; the first one due takes everything pending.
    await deps.queue.send(
      'notify.send',
      { citizenId },
      {
        tx,
        singletonKey: messageId,
        ...(window > 0 ? { startAfter: new Date(now.getTime() + window) } : {}),
      },
    )
  })
}

// A sender that crashed mid-send leaves its claim; after this long another sender takes the rows over.
const STALE_CLAIM_MS = 10 * 60_000

/** SMTP replies 5xx and address errors cannot get better by retrying. */
const permanent = (err: unknown) => {
  const e = err as { responseCode?: number; code?: string; status?: number }
  return (
    (e.responseCode !== undefined && e.responseCode >= 500) ||
    (e.status !== undefined && e.status >= 400 && e.status < 500)
  )
}
// Codes only: an SMTP error text can quote the recipient's address.
const describe = (err: unknown) => {
  const e = err as { code?: string; responseCode?: number; status?: number }
  return [e.code ?? 'ERROR', e.responseCode ?? e.status].filter((v) => v !== undefined).join(' ')
}

/**
 * notify.send: one email for everything pending of the citizen (content-free: a count and a
 * link), SMS for pending appointment messages. Accepted by SMTP → notices count as notified and
 * their deemed delivery is recorded. Failure → retried; on the last attempt or a permanent SMTP
 * refusal the notification failed for good: the office sees it and the notice goes by letter too.
 */
export async function sendNotifications(
  deps: NotifyDeps,
  citizenId: string,
  ctx: Pick<JobContext, 'attempt' | 'signal'>,
  sms: SmsSender = createSmsSender(deps.config.notify.sms),
): Promise<void> {
  const now = deps.clock()
  const pending = await deps.store.notifications.claim(
    citizenId,
    now,
    new Date(now.getTime() - STALE_CLAIM_MS),
  )
  if (pending.length === 0) return
  const citizen = await deps.store.citizens.get(citizenId)
  if (!citizen) return
  const emails = pending.filter((n) => n.channel === 'email')
  const texts = pending.filter((n) => n.channel === 'sms')
  const last = ctx.attempt > jobs['notify.send'].retryLimit
  let failure: unknown = null
  if (emails.length > 0) {
    try {
      await sendEmail(deps, citizen, emails)
    } catch (err) {
      failure = err
      await recordFailure(deps, emails, err, last || permanent(err))
    }
  }
  if (texts.length > 0) {
    try {
      const dek = citizenKey(deps.keyring, citizen)
      const phone = citizen.phoneEnc
        ? openForCitizen(dek, 'citizens', citizen.id, 'phone', citizen.phoneEnc).toString('utf8')
        : null
      if (!phone) throw Object.assign(new Error('no phone'), { code: 'NO_PHONE', status: 400 })
      const sent = await sms.send(
        phone,
        notifyMails(citizen.language).appointmentSms({ link: postboxLink(deps) }),
        ctx.signal,
      )
      await deps.store.notifications.settle(
        texts.map((n) => n.id),
        { state: 'sent', externalId: sent.id, at: deps.clock() },
      )
    } catch (err) {
      failure ??= err
      const final = last || permanent(err)
      await deps.store.notifications.settle(
        texts.map((n) => n.id),
        { state: final ? 'failed' : 'pending', error: describe(err), at: deps.clock() },
      )
    }
  }
  // Rethrown by code only: the queue stores and logs the message, and SMTP texts can hold addresses.
  if (failure && !last && !permanent(failure)) throw new Error(`notification not sent: ${describe(failure)}`)
}

const postboxLink = (deps: Pick<Deps, 'config'>) => `${deps.config.http.publicUrl}/postbox`

async function noticesOf(deps: NotifyDeps, rows: Notification[]): Promise<Notice[]> {
  const found = await Promise.all(rows.map((r) => deps.store.notices.getByMessage(r.messageId)))
  return found.filter((n): n is Notice => n !== null)
}

async function sendEmail(deps: NotifyDeps, citizen: Citizen, rows: Notification[]) {
  const notices = await noticesOf(deps, rows)
  const dek = citizenKey(deps.keyring, citizen)
  const to = openForCitizen(dek, 'citizens', citizen.id, 'email', citizen.emailEnc).toString('utf8')
  const mail = notifyMails(citizen.language).newMail({
    count: rows.length,
    notices: notices.length,
    link: postboxLink(deps),
  })
  const sent = await deps.mailer.send({ to, ...mail, headers: { 'Auto-Submitted': 'auto-notified' } })
  const at = deps.clock()
  await deps.store.transaction(async (tx) => {
    await tx.notifications.settle(
      rows.map((r) => r.id),
      { state: 'sent', externalId: sent.messageId, at },
    )
    for (const n of notices) {
      const deemed = n.deemedOn
        ? null
        : deemedDelivery({
            channel: 'online',
            providedAt: n.providedAt,
            notifiedAt: at,
            retrievedAt: n.retrievedAt,
            configuredDays: deps.config.notices.deemedDays,
          })
      await tx.notices.update(n.id, {
        notifyState: 'sent',
        notifiedAt: at,
        notifyError: null,
        ...(deemed ? { deemedOn: deemed.deemedOn, legalBasis: deemed.legalBasis } : {}),
      })
      await enqueueReceipt(deps, tx, n, 'notified')
    }
  })
  deps.log.info(
    { citizenId: citizen.id, messages: rows.length, notices: notices.length },
    'notification email sent',
  )
}

async function recordFailure(deps: NotifyDeps, rows: Notification[], err: unknown, final: boolean) {
  const notices = await noticesOf(deps, rows)
  const error = describe(err)
  await deps.store.transaction(async (tx) => {
    await tx.notifications.settle(
      rows.map((r) => r.id),
      { state: final ? 'failed' : 'pending', error, at: deps.clock() },
    )
    for (const n of notices) {
      if (!final) {
        await tx.notices.update(n.id, { notifyError: error })
        continue
      }
      await tx.notices.update(n.id, {
        notifyState: 'failed',
        notifyError: error,
        fallbackReason: n.fallbackReason ?? 'notification_failed',
      })
      await tx.audit.append({
        actorKind: 'system',
        actorId: null,
        action: 'notice.notification_failed',
        subjectKind: 'notice',
        subjectId: n.id,
        officeId: n.officeId,
        details: { error },
      })
      await enqueueReceipt(deps, tx, n, 'notification_failed')
      // The letter follows: notice.deliver queues it because fallbackReason is set now.
      await deps.queue.send('notice.deliver', { noticeId: n.id }, { tx })
    }
  })
  deps.log.warn({ messages: rows.length, notices: notices.length, error, final }, 'notification email failed')
}

/**
 * A bounce of a notification email reported by the office's mail gateway (by the Message-ID we
 * sent): the notifications fail, and for notices the notification can no longer be shown to have
 * arrived, so deemed delivery falls back to the retrieval day and a letter follows.
 */
export async function recordBounce(
  deps: NotifyDeps,
  officeId: string,
  input: { messageId: string; code: string },
): Promise<{ notifications: number; notices: number }> {
  const rows = (await deps.store.notifications.listByExternalId(input.messageId)).filter(
    (r) => r.channel === 'email',
  )
  const own: Notification[] = []
  for (const r of rows) {
    const m = await deps.store.postbox.getMessage(r.citizenId, r.messageId)
    if (m?.officeId === officeId) own.push(r)
  }
  if (own.length === 0) return { notifications: 0, notices: 0 }
  const notices = await noticesOf(deps, own)
  const error = `BOUNCE ${input.code}`
  await deps.store.transaction(async (tx) => {
    await tx.notifications.markBounced(
      own.map((r) => r.id),
      error,
    )
    for (const n of notices) {
      const byRetrieval = n.retrievedAt
        ? deemedDelivery({
            channel: 'online',
            providedAt: n.providedAt,
            notifiedAt: null,
            retrievedAt: n.retrievedAt,
          })
        : null
      await tx.notices.update(n.id, {
        notifyState: 'failed',
        notifyError: error,
        fallbackReason: n.fallbackReason ?? 'notification_failed',
        ...(n.legalBasis === 'sgb10_37_2a_notification'
          ? { deemedOn: byRetrieval?.deemedOn ?? null, legalBasis: byRetrieval?.legalBasis ?? null }
          : {}),
      })
      await tx.audit.append({
        actorKind: 'system',
        actorId: null,
        action: 'notice.notification_bounced',
        subjectKind: 'notice',
        subjectId: n.id,
        officeId: n.officeId,
        details: { code: input.code },
      })
      await enqueueReceipt(deps, tx, n, 'notification_failed')
      await deps.queue.send('notice.deliver', { noticeId: n.id }, { tx })
    }
  })
  deps.log.warn({ notifications: own.length, notices: notices.length }, 'notification email bounced')
  return { notifications: own.length, notices: notices.length }
}
