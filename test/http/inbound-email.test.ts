import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { processInboundMail } from '../../src/features/inbound/inbound.process.ts'
import { purgeInboundRawMails } from '../../src/features/inbound/inbound.retention.ts'
import type { Office } from '../../src/store/store.types.ts'
import { handleInboundEmail } from '../../workers/handlers/inbound-email.handler.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { markersFound, storedBytes } from '../helpers/raw-store.ts'
import { createStaffToken, readJson, type StaffToken } from '../helpers/staff.ts'
import { blobFiles } from './attachments-fixtures.ts'
import {
  composeMail,
  emailDelivery,
  mailOffice,
  postMail,
  replyTo,
  settled,
  tinyPdf,
} from './inbound-fixtures.ts'
import { apiFor, citizenOf } from './postbox-fixtures.ts'

describeBackends('inbound email', (kind) => {
  let t: TestApp
  let office: Office
  let gateway: StaffToken
  beforeAll(async () => {
    t = await makeTestApp(kind)
    office = await mailOffice(t, 'jobcenter-a.example')
    gateway = await createStaffToken(t.deps, office.id, 'integration')
    await t.deps.queue.work('inbound.email', (p, ctx) => handleInboundEmail(t.deps, p, ctx))
  })
  afterAll(() => t.close())

  /** A citizen thread of the office and the citizen's API. */
  const thread = async (o = office) => {
    const who = await citizenOf(t, o)
    const api = apiFor(t, who)
    const sent = await api.send({ subject: 'Frage zum Termin', body: 'Wann ist mein Termin?' })
    return { who, api, threadId: sent.threadId as string, messageId: sent.messageId as string }
  }

  const deliver = async (raw: Buffer, token = gateway) => {
    const res = await postMail(t, token, raw)
    expect(res.status, await res.clone().text()).toBe(202)
    const body = await readJson(res)
    expect(body.state).toBe('received')
    return settled(t, body.id)
  }

  const bodies = async (api: ReturnType<typeof apiFor>, threadId: string) => {
    const view = await readJson(await api.call('GET', `/v1/postbox/threads/${threadId}`))
    return view.messages.map((m: { body: string }) => m.body) as string[]
  }

  describe('happy', () => {
    it('appends a Thunderbird-style plain reply by its signed token, without the quoted history', async () => {
      const c = await thread()
      const raw = await composeMail({
        from: 'Sachbearbeitung <sb@jobcenter-a.example>',
        to: replyTo(t.deps, c.threadId),
        subject: 'Re: Frage zum Termin',
        headers: { 'User-Agent': 'Mozilla Thunderbird' },
        text: 'Guten Tag,\n\nIhr Termin ist am 3.12. um 10 Uhr.\n\nAm 01.12.2026 um 09:12 schrieb Postkorb:\n> Wann ist mein Termin?\n>\n> Gruß',
      })
      const row = await deliver(raw)
      expect(row).toMatchObject({ state: 'appended', reason: null, threadId: c.threadId, blobKey: null })
      expect(await bodies(c.api, c.threadId)).toEqual([
        'Wann ist mein Termin?',
        'Guten Tag,\n\nIhr Termin ist am 3.12. um 10 Uhr.',
      ])
      const inbox = await c.api.list({ folder: 'inbox' })
      expect(inbox.items.map((i) => i.id)).toEqual([row.messageId])
    })

    it('appends an Outlook-style plain reply and cuts at "-----Ursprüngliche Nachricht-----"', async () => {
      const c = await thread()
      const raw = await composeMail({
        from: 'sb@jobcenter-a.example',
        to: `Postkorb <${replyTo(t.deps, c.threadId)}>`,
        subject: 'AW: Frage zum Termin',
        headers: { 'X-Mailer': 'Microsoft Outlook 16.0' },
        text: 'Hallo,\r\nder Termin steht.\r\n\r\n-----Ursprüngliche Nachricht-----\r\nVon: Postkorb <postkorb@localhost>\r\nGesendet: Dienstag, 1. Dezember 2026 09:12\r\nAn: Team\r\nBetreff: Frage zum Termin\r\n\r\nWann ist mein Termin?',
      })
      expect((await deliver(raw)).state).toBe('appended')
      expect((await bodies(c.api, c.threadId))[1]).toBe('Hallo,\nder Termin steht.')
    })

    it('takes an HTML-only reply as sanitised text and drops Outlook’s quoted block', async () => {
      const c = await thread()
      const raw = await composeMail({
        from: 'sb@jobcenter-a.example',
        to: replyTo(t.deps, c.threadId),
        subject: 'AW: Frage zum Termin',
        html: `<html><head><style>p{margin:0}</style></head><body><p>Sehr geehrte Damen und Herren,</p>
          <p>bitte bringen Sie <b>den Ausweis</b> mit.<script>alert('x')</script></p>
          <hr><div id="divRplyFwdMsg"><b>Von:</b> Postkorb<br><b>Gesendet:</b> Dienstag<br></div>
          <div>Wann ist mein Termin?</div></body></html>`,
      })
      expect((await deliver(raw)).state).toBe('appended')
      const text = (await bodies(c.api, c.threadId))[1] ?? ''
      expect(text).toContain('Sehr geehrte Damen und Herren,')
      expect(text).toContain('bitte bringen Sie den Ausweis mit.')
      expect(text).not.toMatch(/<|alert|margin|Wann ist mein Termin/)
    })

    it('keeps a PDF attachment as a pending attachment and enqueues its upload.check', async () => {
      const c = await thread()
      const checks = await t.deps.queue.counts('upload.check')
      const raw = await composeMail({
        from: 'partner@extern.example',
        to: replyTo(t.deps, c.threadId),
        subject: 'Re: Frage zum Termin',
        text: 'Anbei die Einladung.',
        attachments: [{ filename: 'Einladung.pdf', content: tinyPdf, contentType: 'application/pdf' }],
      })
      const row = await deliver(raw)
      expect(row.state).toBe('appended')
      const attachments = await t.deps.store.attachments.listForMessage(c.who.citizen.id, row.messageId ?? '')
      expect(attachments.map((a) => [a.declaredType, a.scanState, a.size])).toEqual([
        ['application/pdf', 'pending', tinyPdf.length],
      ])
      const after = await t.deps.queue.counts('upload.check')
      expect(after.waiting + after.active).toBe(checks.waiting + checks.active + 1)
      const view = await readJson(await c.api.call('GET', `/v1/postbox/threads/${c.threadId}`))
      expect(view.messages[1].attachments[0]).toMatchObject({ name: 'Einladung.pdf', state: 'pending' })
    })

    it('finds the thread by In-Reply-To/References matching the Message-ID of the delivered email', async () => {
      const c = await thread()
      const sentId = `<${randomBytes(8).toString('hex')}@postkorb.example>`
      await emailDelivery(t, c.messageId, sentId, 'team@jobcenter-a.example')
      const raw = await composeMail({
        from: 'team@jobcenter-a.example',
        to: 'postkorb@localhost',
        subject: 'Re: Frage',
        inReplyTo: sentId,
        references: [`<other@elsewhere.example>`, sentId],
        text: 'Erledigt.\n\nOn Tue, Dec 1, 2026 at 9:12 AM Postkorb <postkorb@localhost> wrote:\n> Wann?',
      })
      const row = await deliver(raw)
      expect(row).toMatchObject({ state: 'appended', threadId: c.threadId })
      expect((await bodies(c.api, c.threadId))[1]).toBe('Erledigt.')
    })

    it('reads the token from Cc or Delivered-To, in any letter case', async () => {
      const c = await thread()
      const raw = await composeMail({
        from: 'sb@jobcenter-a.example',
        to: 'team@jobcenter-a.example',
        cc: replyTo(t.deps, c.threadId).toUpperCase(),
        subject: 'Re',
        text: 'Per Cc.',
      })
      expect((await deliver(raw)).state).toBe('appended')
      const d = await thread()
      const viaDelivered = await composeMail({
        from: 'sb@jobcenter-a.example',
        to: 'undisclosed-recipients:;',
        headers: { 'Delivered-To': replyTo(t.deps, d.threadId) },
        subject: 'Re',
        text: 'Per Delivered-To.',
      })
      expect((await deliver(viaDelivered)).state).toBe('appended')
      expect((await bodies(d.api, d.threadId))[1]).toBe('Per Delivered-To.')
    })

    it('handles a job delivered twice once: the second run changes nothing', async () => {
      const c = await thread()
      const raw = await composeMail({
        from: 'sb@jobcenter-a.example',
        to: replyTo(t.deps, c.threadId),
        text: 'Einmal.',
      })
      const row = await deliver(raw)
      expect(await processInboundMail(t.deps, row.id)).toEqual({ state: 'skipped' })
      expect(await bodies(c.api, c.threadId)).toEqual(['Wann ist mein Termin?', 'Einmal.'])
    })
  })

  describe('review', () => {
    const reviewed = async (raw: Buffer, reason: string, threadId: string) => {
      const row = await deliver(raw)
      expect(row).toMatchObject({ state: 'review', reason, messageId: null })
      expect(row.blobKey && (await t.deps.blobs.exists(row.blobKey))).toBe(true)
      const messages = await t.deps.store.postbox.listThreadMessagesForOffice(office.id, threadId)
      expect(messages).toHaveLength(1)
      return row
    }

    it('puts a forged token on the review list and appends nothing', async () => {
      const c = await thread()
      const good = replyTo(t.deps, c.threadId)
      const at = good.indexOf('+') + 20
      const forged = good.slice(0, at) + (good[at] === 'a' ? 'b' : 'a') + good.slice(at + 1)
      const raw = await composeMail({ from: 'sb@jobcenter-a.example', to: forged, text: 'x' })
      await reviewed(raw, 'token_forged', c.threadId)
    })

    it('puts an expired token on the review list even when In-Reply-To would match', async () => {
      const c = await thread()
      const sentId = `<${randomBytes(8).toString('hex')}@postkorb.example>`
      await emailDelivery(t, c.messageId, sentId, 'team@jobcenter-a.example')
      const expired = replyTo(t.deps, c.threadId, new Date(Date.now() - 1000))
      const raw = await composeMail({
        from: 'sb@jobcenter-a.example',
        to: expired,
        inReplyTo: sentId,
        text: 'x',
      })
      await reviewed(raw, 'token_expired', c.threadId)
    })

    it('puts a sender the office does not allow on the review list', async () => {
      const c = await thread()
      const raw = await composeMail({
        from: 'fremd@evil.example',
        to: replyTo(t.deps, c.threadId),
        text: 'x',
      })
      const row = await reviewed(raw, 'sender_not_allowed', c.threadId)
      expect(row.threadId).toBe(c.threadId)
      const lookalike = await composeMail({
        from: 'sb@jobcenter-a.example.evil.example',
        to: replyTo(t.deps, c.threadId),
        text: 'x',
      })
      await reviewed(lookalike, 'sender_not_allowed', c.threadId)
    })

    it('never matches a thread by its subject alone', async () => {
      const c = await thread()
      const reference = (await t.deps.store.postbox.getThreadForOffice(office.id, c.threadId))?.reference
      const raw = await composeMail({
        from: 'sb@jobcenter-a.example',
        to: 'postkorb@localhost',
        subject: `Re: [${reference}] Frage zum Termin`,
        text: `Antwort zu ${reference}`,
      })
      await reviewed(raw, 'no_thread_reference', c.threadId)
    })

    it('keeps going after refused and odd mails: the next good reply is still appended', async () => {
      await postMail(
        t,
        gateway,
        Buffer.from(
          'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nabgeschnitten',
        ),
      )
      const garbage = await deliver(Buffer.from('\u0000\u0001binary\r\n\r\n\u00ff'))
      expect(garbage.state).toBe('review')
      const c = await thread()
      const raw = await composeMail({
        from: 'sb@jobcenter-a.example',
        to: replyTo(t.deps, c.threadId),
        text: 'Weiter.',
      })
      expect((await deliver(raw)).state).toBe('appended')
    })
  })

  describe('refused before parsing', () => {
    it('refuses truncated boundaries with a clear problem and records the refusal', async () => {
      const raw = Buffer.from(
        'From: sb@jobcenter-a.example\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nText\r\n--b1\r\nContent-Type: application/pdf\r\n\r\nJVBERi0x',
      )
      const res = await postMail(t, gateway, raw)
      expect(res.status).toBe(422)
      const problem = await readJson(res)
      expect(problem).toMatchObject({ code: 'inbound.refused', reason: 'truncated' })
      expect(await t.deps.store.inbound.get(problem.id)).toMatchObject({
        state: 'rejected',
        reason: 'truncated',
        blobKey: null,
      })
    })

    it('refuses 10 000 header fields before any parser sees them', async () => {
      const headers = Array.from({ length: 10_000 }, (_, i) => `X-Spam-${i}: ${i}`).join('\r\n')
      const res = await postMail(t, gateway, Buffer.from(`From: a@b.example\r\n${headers}\r\n\r\nHallo`))
      expect(res.status).toBe(422)
      expect(await readJson(res)).toMatchObject({ code: 'inbound.refused', reason: 'too_many_headers' })
    })

    it('refuses a 30 MiB attachment while streaming, without reading the rest of the body', async () => {
      const head = Buffer.from(
        'From: sb@jobcenter-a.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf; name=gross.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n',
      )
      const line = Buffer.from(`${'QUFB'.repeat(19)}\r\n`)
      const total = 30 * 1024 * 1024 * (4 / 3)
      let sent = 0
      let pulled = 0
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            const piece = sent === 0 ? head : Buffer.concat(Array.from({ length: 800 }, () => line))
            sent += piece.length
            pulled += piece.length
            controller.enqueue(piece)
            if (sent >= total) controller.close()
          },
        },
        { highWaterMark: 0 },
      )
      const blobsBefore = blobFiles(t).length
      const res = await postMail(t, gateway, body)
      expect(res.status).toBe(413)
      expect(await readJson(res)).toMatchObject({ code: 'inbound.too_large' })
      expect(pulled).toBeLessThan(t.deps.config.inbound.maxBytes + 1024 * 1024)
      expect(blobFiles(t).length).toBe(blobsBefore)
    })

    it('refuses a declared Content-Length over the limit unread', async () => {
      const res = await t.app.request('/v1/inbound/email', {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${gateway.token}`,
          'Content-Type': 'message/rfc822',
          'Content-Length': String(t.deps.config.inbound.maxBytes + 1),
        },
        body: 'Subject: x\r\n\r\nx',
      })
      expect(res.status).toBe(413)
    })
  })

  describe('security', () => {
    it('needs an integration token of the office and a raw mail content type', async () => {
      const raw = await composeMail({ from: 'sb@jobcenter-a.example', to: 'x@y.example', text: 'x' })
      const anonymous = await t.app.request('/v1/inbound/email', {
        method: 'POST',
        headers: { 'Content-Type': 'message/rfc822' },
        body: raw,
      })
      expect(anonymous.status).toBe(401)
      const caseworker = await createStaffToken(t.deps, office.id, 'caseworker')
      expect((await postMail(t, caseworker, raw)).status).toBe(403)
      expect((await postMail(t, gateway, raw, 'text/plain')).status).toBe(415)
      expect((await postMail(t, gateway, raw, 'application/octet-stream')).status).toBe(202)
    })

    it('never lets office B’s gateway append to office A’s thread: citizen A sees nothing new', async () => {
      const c = await thread()
      const officeB = await mailOffice(t, 'jobcenter-b.example')
      const gatewayB = await createStaffToken(t.deps, officeB.id, 'integration')
      const raw = await composeMail({
        from: 'sb@jobcenter-b.example',
        to: replyTo(t.deps, c.threadId),
        text: 'Fremd.',
      })
      const row = await deliver(raw, gatewayB)
      expect(row).toMatchObject({ state: 'review', reason: 'thread_not_found', threadId: null })
      expect(await bodies(c.api, c.threadId)).toEqual(['Wann ist mein Termin?'])
      expect((await c.api.list({ folder: 'inbox' })).items).toHaveLength(0)
    })

    it('keeps the raw mail sealed: no subject, address or body marker in the database or blob files', async () => {
      const c = await thread()
      const marker = `Geheim${randomBytes(6).toString('hex')}`
      const mail = (from: string) =>
        composeMail({
          from,
          to: replyTo(t.deps, c.threadId),
          subject: `Betreff ${marker}S`,
          text: `Text ${marker}B`,
          attachments: [{ filename: `${marker}F.pdf`, content: tinyPdf }],
        })
      // One is appended (content then sealed for the citizen), one waits in review (raw blob kept).
      const appended = await deliver(await mail(`${marker}sender@jobcenter-a.example`))
      const kept = await deliver(await mail(`${marker}sender@evil.example`))
      expect([appended.state, kept.state]).toEqual(['appended', 'review'])
      expect(kept.blobKey).not.toBeNull()
      const markers = {
        subject: `${marker}S`,
        body: `${marker}B`,
        file: `${marker}F`,
        sender: `${marker}sender`,
      }
      expect(markersFound(await storedBytes(t.deps.config.db), markers)).toEqual([])
      expect(
        markersFound(
          blobFiles(t).map((b) => b.bytes),
          markers,
        ),
      ).toEqual([])
    })

    it('lists review items to the office admin only, with reasons and dates and no content', async () => {
      const admin = await createStaffToken(t.deps, office.id, 'office_admin')
      const c = await thread()
      const subject = `Sichtbar${randomBytes(4).toString('hex')}`
      const raw = await composeMail({
        from: 'fremd@evil.example',
        to: replyTo(t.deps, c.threadId),
        subject,
        text: 'x',
      })
      const row = await deliver(raw)
      const res = await t.app.request('/v1/admin/inbound-mails?limit=100', { headers: admin.headers() })
      expect(res.status).toBe(200)
      const text = await res.clone().text()
      expect(text).not.toContain(subject)
      expect(text).not.toContain('evil.example')
      const list = await readJson(res)
      const item = list.items.find((i: { id: string }) => i.id === row.id)
      expect(item).toMatchObject({ state: 'review', reason: 'sender_not_allowed', threadId: c.threadId })
      expect(new Date(item.receivedAt).getTime()).toBeGreaterThan(0)
      expect(list.items.every((i: { state: string }) => ['review', 'rejected'].includes(i.state))).toBe(true)
      expect(list.items.some((i: { reason: string }) => i.reason === 'too_many_headers')).toBe(true)
      const page = await readJson(
        await t.app.request('/v1/admin/inbound-mails?limit=1', { headers: admin.headers() }),
      )
      expect(page.items).toHaveLength(1)
      const next = await readJson(
        await t.app.request(`/v1/admin/inbound-mails?limit=1&before=${page.nextCursor}`, {
          headers: admin.headers(),
        }),
      )
      expect(next.items[0].id).not.toBe(page.items[0].id)
      const officeB = await mailOffice(t, 'jobcenter-c.example')
      const adminB = await createStaffToken(t.deps, officeB.id, 'office_admin')
      const other = await readJson(
        await t.app.request('/v1/admin/inbound-mails', { headers: adminB.headers() }),
      )
      expect(other.items).toEqual([])
      expect((await t.app.request('/v1/admin/inbound-mails', { headers: gateway.headers() })).status).toBe(
        403,
      )
    })
  })

  describe('faults', () => {
    it('puts a mail whose sealed raw blob fails its integrity check on review instead of retrying', async () => {
      // An app without a worker, so the blob can be flipped on disk before the job reads it.
      const noWorker = await makeTestApp(kind)
      try {
        const o = await mailOffice(noWorker, 'jobcenter-a.example')
        const gw = await createStaffToken(noWorker.deps, o.id, 'integration')
        const d = await apiFor(noWorker, await citizenOf(noWorker, o)).send({ subject: 'F', body: 'x' })
        const mail = await composeMail({
          from: 'sb@jobcenter-a.example',
          to: replyTo(noWorker.deps, d.threadId),
          text: 'y',
        })
        const { id: second } = await readJson(await postMail(noWorker, gw, mail))
        const stored = await noWorker.deps.store.inbound.get(second)
        const file = blobFiles(noWorker).find((b) => b.file.includes(stored?.blobKey ?? '-'))
        if (!file) throw new Error('raw blob not found on disk')
        const bytes = Buffer.from(file.bytes)
        bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1
        writeFileSync(file.file, bytes)
        expect(await processInboundMail(noWorker.deps, second)).toEqual({
          state: 'review',
          reason: 'raw_unreadable',
        })
      } finally {
        await noWorker.close()
      }
    })
  })

  describe('retention', () => {
    it('removes raw blobs kept for review after INBOUND_RAW_RETENTION_DAYS and keeps the rows', async () => {
      const c = await thread()
      const raw = await composeMail({
        from: 'fremd@evil.example',
        to: replyTo(t.deps, c.threadId),
        text: 'x',
      })
      const row = await deliver(raw)
      const blobKey = row.blobKey ?? ''
      expect(await t.deps.blobs.exists(blobKey)).toBe(true)
      const soon = new Date(Date.now() + 29 * 86_400_000)
      expect(await purgeInboundRawMails({ ...t.deps, clock: () => soon })).toBe(0)
      const later = new Date(Date.now() + 31 * 86_400_000)
      expect(await purgeInboundRawMails({ ...t.deps, clock: () => later })).toBeGreaterThanOrEqual(1)
      expect(await t.deps.blobs.exists(blobKey)).toBe(false)
      expect(await t.deps.store.inbound.get(row.id)).toMatchObject({
        state: 'review',
        reason: 'sender_not_allowed',
        blobKey: null,
      })
      expect(await purgeInboundRawMails({ ...t.deps, clock: () => later })).toBe(0)
    })
  })

  describe('with INBOUND_AUTHSERV_ID', () => {
    it('appends only replies whose From domain our gateway authenticated', async () => {
      const strict = await makeTestApp(kind, { INBOUND_AUTHSERV_ID: 'mx.jobcenter-a.example' })
      try {
        const o = await mailOffice(strict, 'jobcenter-a.example')
        const gw = await createStaffToken(strict.deps, o.id, 'integration')
        await strict.deps.queue.work('inbound.email', (p, ctx) => handleInboundEmail(strict.deps, p, ctx))
        const who = await citizenOf(strict, o)
        const sent = await apiFor(strict, who).send({ subject: 'Frage', body: 'x' })
        const mail = (results: string | null) =>
          composeMail({
            from: 'sb@jobcenter-a.example',
            to: replyTo(strict.deps, sent.threadId),
            text: 'Antwort',
            headers: results ? { 'Authentication-Results': results } : {},
          })
        const post = async (raw: Buffer) =>
          settled(strict, (await readJson(await postMail(strict, gw, raw))).id)
        expect(await post(await mail(null))).toMatchObject({
          state: 'review',
          reason: 'sender_unauthenticated',
        })
        const forged = 'mx.evil.example; dmarc=pass header.from=jobcenter-a.example'
        expect(await post(await mail(forged))).toMatchObject({
          state: 'review',
          reason: 'sender_unauthenticated',
        })
        const ok =
          'mx.jobcenter-a.example; dkim=pass header.d=jobcenter-a.example; dmarc=pass header.from=jobcenter-a.example'
        expect(await post(await mail(ok))).toMatchObject({ state: 'appended' })
      } finally {
        await strict.close()
      }
    })
  })
})
