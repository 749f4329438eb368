import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { scanUnretrievedNotices } from '../../src/features/notices/notices.fallback.ts'
import { sleep, waitFor } from '../contract/fixtures/wait.ts'
import { describeBackends } from '../helpers/backends.ts'
import { type SmtpCapture, startSmtpCapture } from '../helpers/smtp.ts'
import { readJson } from '../helpers/staff.ts'
import {
  ADDRESS,
  activatedCitizen,
  getNotice,
  type NoticeWorld,
  noticeWorld,
  postTextNotice,
  waitNotice,
} from './notices-fixtures.ts'

/** A port nothing listens on (yet): an SMTP server that is down. */
async function freePort(): Promise<number> {
  const probe = await startSmtpCapture()
  const port = Number(new URL(probe.url).port)
  await probe.close()
  return port
}

describeBackends('citizen notifications', (kind) => {
  let w: NoticeWorld
  const extra: { close(): Promise<void> }[] = []
  afterEach(async () => {
    await w?.close()
    for (const e of extra.splice(0)) await e.close()
  })

  it('turns several new notices within the debounce window into one email', async () => {
    w = await noticeWorld(kind, { NOTIFY_DEBOUNCE_SECONDS: '5' }, { workers: false })
    const c = await activatedCitizen(w)
    const ids: string[] = []
    for (let i = 0; i < 3; i++)
      ids.push((await postTextNotice(w, { customerNumber: c.customerNumber })).json.id)
    await w.startWorkers()
    for (const id of ids) await waitNotice(w, id, (n) => n.notifyState === 'sent')
    await sleep(300)
    expect(w.smtp?.messages).toHaveLength(1)
    expect(w.smtp?.messages[0]?.subject).toBe('3 neue Nachrichten in Ihrem Postkorb')
    expect(w.smtp?.messages[0]?.text).toContain('darunter 3 Bescheide')
    const notices = await Promise.all(ids.map((id) => w.t.deps.store.notices.getForJob(id)))
    const rows = (
      await Promise.all(notices.map((n) => w.t.deps.store.notifications.listForMessage(n?.messageId ?? '')))
    ).flat()
    expect(rows).toHaveLength(3)
    expect(new Set(rows.map((r) => r.externalId)).size).toBe(1)
    expect(rows.every((r) => r.state === 'sent' && r.attempts === 1)).toBe(true)

    // A notice after the window gets its own email.
    const later = (await postTextNotice(w, { customerNumber: c.customerNumber })).json.id
    await waitNotice(w, later, (n) => n.notifyState === 'sent')
    expect(w.smtp?.messages).toHaveLength(2)
    expect(w.smtp?.messages[1]?.subject).toBe('Neue Nachricht in Ihrem Postkorb')
  })

  it('retries while the SMTP server is down and shows "notification pending" meanwhile', async () => {
    const port = await freePort()
    w = await noticeWorld(kind, { SMTP_URL: `smtp://127.0.0.1:${port}` }, { smtp: false })
    const c = await activatedCitizen(w)
    const { json } = await postTextNotice(w, { customerNumber: c.customerNumber })
    const pending = await waitNotice(w, json.id, (n) => n.notifyError !== null)
    expect(pending.notifyState).toBe('pending')
    expect(pending.notifyError).toMatch(/^E[A-Z]+/)
    const view = await getNotice(w, json.id)
    expect(view.notification).toMatchObject({ state: 'pending', label: 'notification pending' })
    expect(view.dates).toMatchObject({ notifiedAt: null, deemedDeliveryOn: null })
    expect(view.dates.providedAt).not.toBeNull()

    const smtp: SmtpCapture = await startSmtpCapture({ port })
    extra.push(smtp)
    const sent = await waitNotice(w, json.id, (n) => n.notifyState === 'sent', 30_000)
    expect(sent.notifyError).toBeNull()
    expect(sent.legalBasis).toBe('sgb10_37_2a_notification')
    expect(smtp.messages).toHaveLength(1)
    const [row] = await w.t.deps.store.notifications.listForMessage(sent.messageId ?? '')
    expect(row).toMatchObject({ state: 'sent', attempts: 2 })
  })

  it('records a permanent refusal, shows it to the office and sends the notice by post as well', async () => {
    const smtp = await startSmtpCapture({ rejectRecipients: true })
    extra.push(smtp)
    w = await noticeWorld(kind, { SMTP_URL: smtp.url }, { smtp: false })
    const c = await activatedCitizen(w)
    const { json } = await postTextNotice(w, {
      customerNumber: c.customerNumber,
      postalAddress: { lines: ADDRESS },
    })
    const failed = await waitNotice(w, json.id, (n) => n.notifyState === 'failed')
    expect(failed).toMatchObject({
      fallbackReason: 'notification_failed',
      channel: 'online',
      state: 'provided',
    })
    expect(failed.notifyError).toContain('550')
    expect(failed.notifyError).not.toContain('@')
    await waitFor(async () => (await w.t.deps.store.printJobs.getByNotice(json.id)) !== null, 15_000)
    const view = await getNotice(w, json.id)
    expect(view.notification).toMatchObject({ state: 'failed', label: 'notification failed' })
    expect(view.letter).toMatchObject({ state: 'queued', reason: 'notification_failed' })
    expect(view.fallbackReason).toBe('notification_failed')
    expect(view.dates.deemedDeliveryOn).toBeNull()
    const list = async (q: string) =>
      readJson(await w.t.app.request(`/v1/office/notices?${q}`, { headers: w.staff.headers() }))
    expect((await list('notification=failed')).items.map((i: { id: string }) => i.id)).toEqual([json.id])
    expect((await list('notification=pending')).items).toEqual([])
    const bad = await w.t.app.request('/v1/office/notices?notification=maybe', { headers: w.staff.headers() })
    expect(bad.status).toBe(422)

    // The notification cannot be shown to have arrived: the retrieval day counts.
    const res = await w.t.app.request(`/v1/postbox/messages/${failed.messageId}/read`, {
      method: 'POST',
      headers: c.headers(),
    })
    expect(res.status).toBe(200)
    const retrieved = await waitNotice(w, json.id, (n) => n.deemedOn !== null)
    expect(retrieved.legalBasis).toBe('sgb10_37_2a_retrieval')
    expect(retrieved.deemedOn).toBe(
      new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(
        retrieved.retrievedAt ?? new Date(),
      ),
    )
  })

  it('takes a bounce from the mail gateway: notification failed, deemed delivery withdrawn, a letter follows', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w)
    const { json } = await postTextNotice(w, {
      customerNumber: c.customerNumber,
      postalAddress: { lines: ADDRESS },
    })
    const sent = await waitNotice(w, json.id, (n) => n.notifyState === 'sent')
    expect(sent.deemedOn).not.toBeNull()
    const [row] = await w.t.deps.store.notifications.listForMessage(sent.messageId ?? '')
    const bounce = (headers: Record<string, string>) =>
      w.t.app.request('/v1/office/notifications/bounces', {
        method: 'POST',
        headers,
        body: JSON.stringify({ messageId: row?.externalId, code: '5.1.1' }),
      })
    const { createOffice, createStaffToken } = await import('../helpers/staff.ts')
    const foreign = await createStaffToken(
      w.t.deps,
      (await createOffice(w.t.deps, 'Jobcenter Fremd')).id,
      'integration',
    )
    expect(await readJson(await bounce(foreign.headers()))).toEqual({ notifications: 0, notices: 0 })
    const res = await bounce(w.staff.headers())
    expect(res.status).toBe(200)
    expect(await readJson(res)).toEqual({ notifications: 1, notices: 1 })
    const failed = await waitNotice(w, json.id, (n) => n.notifyState === 'failed')
    expect(failed).toMatchObject({
      notifyError: 'BOUNCE 5.1.1',
      deemedOn: null,
      legalBasis: null,
      fallbackReason: 'notification_failed',
    })
    await waitFor(async () => (await w.t.deps.store.printJobs.getByNotice(json.id)) !== null, 15_000)
    expect((await getNotice(w, json.id)).notification.label).toBe('notification failed')
  })

  it('sends no email to a citizen who turned email notifications off', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w)
    await w.t.deps.store.citizens.update(c.citizen.id, { notifyEmail: false })
    const { json } = await postTextNotice(w, { customerNumber: c.customerNumber })
    const n = await waitNotice(w, json.id, (x) => x.notifyState === 'off')
    await sleep(300)
    expect(w.smtp?.messages).toHaveLength(0)
    expect(await w.t.deps.store.notifications.listForMessage(n.messageId ?? '')).toHaveLength(0)
  })

  it('sends a content-free SMS through the HTTP provider for an appointment message', async () => {
    const received: { auth: string | undefined; body: { to: string; text: string } }[] = []
    const server = createServer((req: IncomingMessage, res) => {
      let data = ''
      req.on('data', (d) => {
        data += d
      })
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, body: JSON.parse(data) })
        res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'sms-1' }))
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    extra.push({ close: () => new Promise((r) => server.close(() => r())) })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`
    w = await noticeWorld(kind, { SMS_PROVIDER_URL: url, SMS_PROVIDER_TOKEN: 'sms-secret-token' })
    const c = await activatedCitizen(w)
    const patch = await w.t.app.request('/v1/profile', {
      method: 'PATCH',
      headers: c.headers(),
      body: JSON.stringify({ notifications: { smsAppointments: true, phone: '+49 151 23456789' } }),
    })
    expect(patch.status).toBe(200)
    const thread = await w.t.app.request('/v1/postbox/threads', {
      method: 'POST',
      headers: c.headers(),
      body: JSON.stringify({
        category: 'appointment',
        subject: 'Termin verschieben',
        body: 'Bitte neuer Termin',
        attachmentIds: [],
      }),
    })
    expect(thread.status).toBe(201)
    const threadId = (await readJson(thread)).threadId
    const { json } = await postTextNotice(w, {
      customerNumber: c.customerNumber,
      threadId,
      subject: 'Einladung Termin Geheimraum',
    })
    await waitNotice(w, json.id, (n) => n.notifyState === 'sent')
    await waitFor(() => received.length > 0, 10_000)
    expect(received).toHaveLength(1)
    expect(received[0]?.auth).toBe('Bearer sms-secret-token')
    expect(received[0]?.body.to).toBe('+4915123456789')
    expect(received[0]?.body.text).toContain('https://postkorb.example/postbox')
    expect(received[0]?.body.text).not.toContain('Geheimraum')
  })

  it('writes SMS to DATA_DIR/sms-outbox on the embedded default', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w)
    await w.t.app.request('/v1/profile', {
      method: 'PATCH',
      headers: c.headers(),
      body: JSON.stringify({ notifications: { smsAppointments: true, phone: '+4915123456789' } }),
    })
    const thread = await w.t.app.request('/v1/postbox/threads', {
      method: 'POST',
      headers: c.headers(),
      body: JSON.stringify({
        category: 'appointment',
        subject: 'Termin',
        body: 'Termin bitte',
        attachmentIds: [],
      }),
    })
    const threadId = (await readJson(thread)).threadId
    await postTextNotice(w, { customerNumber: c.customerNumber, threadId })
    const dir = w.t.deps.config.notify.sms.outboxDir
    await waitFor(() => {
      try {
        return readdirSync(dir).some((f) => f.endsWith('.json'))
      } catch {
        return false
      }
    }, 10_000)
    const file = readdirSync(dir).find((f) => f.endsWith('.json')) ?? ''
    expect(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))).toMatchObject({ to: '+4915123456789' })
  })

  it('queues a letter for an online notice not retrieved within NOTICE_POSTAL_FALLBACK_DAYS', async () => {
    w = await noticeWorld(kind, { NOTICE_POSTAL_FALLBACK_DAYS: '7' })
    const c = await activatedCitizen(w)
    const { json } = await postTextNotice(w, {
      customerNumber: c.customerNumber,
      postalAddress: { lines: ADDRESS },
    })
    await waitNotice(w, json.id, (n) => n.notifyState === 'sent')
    expect(await scanUnretrievedNotices(w.t.deps)).toBe(0)
    const later = { ...w.t.deps, clock: () => new Date(Date.now() + 8 * 86_400_000) }
    expect(await scanUnretrievedNotices(later)).toBe(1)
    expect(await scanUnretrievedNotices(later)).toBe(0)
    await waitFor(async () => (await w.t.deps.store.printJobs.getByNotice(json.id)) !== null, 15_000)
    expect(await w.t.deps.store.printJobs.getByNotice(json.id)).toMatchObject({ reason: 'not_retrieved' })
    expect((await getNotice(w, json.id)).fallbackReason).toBe('not_retrieved')
  })
})
