import { afterEach, expect, it } from 'vitest'
import { sleep } from '../contract/fixtures/wait.ts'
import { describeBackends } from '../helpers/backends.ts'
import { readJson } from '../helpers/staff.ts'
import {
  activatedCitizen,
  getNotice,
  type NoticeWorld,
  noticeWorld,
  postPdfNotice,
  postTextNotice,
  samplePdf,
  waitNotice,
} from './notices-fixtures.ts'

describeBackends('notices delivered online', (kind) => {
  let w: NoticeWorld
  afterEach(async () => w?.close())

  it('places a text notice in the inbox, sends exactly one content-free email and records the dates', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w)
    const { res, json, sent } = await postTextNotice(w, {
      customerNumber: c.customerNumber,
      subject: 'Aufhebungsbescheid Mehrbedarf Warmwasser',
      text: { paragraphs: ['Wir heben die Bewilligung des Mehrbedarfs Zuschlagsgeheim auf.'] },
    })
    expect(res.status).toBe(202)
    expect(json.state).toBe('received')
    const notice = await waitNotice(w, json.id, (n) => n.notifyState === 'sent')
    expect(notice.channel).toBe('online')
    expect(notice.channelReason).toBe('online_only')
    expect(notice.decision).toMatchObject({
      onlineComm: true,
      activated: true,
      digital: true,
      consentVersion: 'online-2026-01',
    })

    // The postbox holds it: inbox, kind notice, the rendered text as its body.
    const list = await readJson(
      await w.t.app.request('/v1/postbox/messages?folder=inbox', { headers: c.headers() }),
    )
    expect(list.items).toHaveLength(1)
    expect(list.items[0]).toMatchObject({ kind: 'notice', subject: sent.subject })
    const messageId = list.items[0].id as string
    expect(notice.messageId).toBe(messageId)
    const thread = await readJson(
      await w.t.app.request(`/v1/postbox/threads/${list.items[0].threadId}`, { headers: c.headers() }),
    )
    expect(thread.messages[0].body).toContain('Zuschlagsgeheim')

    // Exactly one email, to the citizen, with a link and none of the notice's words.
    await sleep(300)
    expect(w.smtp?.messages).toHaveLength(1)
    const mail = w.smtp?.messages[0]
    expect(mail?.to).toEqual([`citizen-${c.citizen.id.slice(0, 8)}@example.org`])
    expect(mail?.text).toContain('https://postkorb.example/postbox')
    for (const secret of [
      'Aufhebungsbescheid',
      'Warmwasser',
      'Zuschlagsgeheim',
      'Nordstadt',
      notice.reference,
    ])
      expect(mail?.raw).not.toContain(secret)

    // The office sees provision, notification and the deemed delivery on the fourth day.
    const view = await getNotice(w, json.id)
    expect(view.notification).toMatchObject({ state: 'sent', label: 'notification sent' })
    expect(view.dates.providedAt).not.toBeNull()
    expect(view.dates.notifiedAt).not.toBeNull()
    expect(view.dates.firstRetrievedAt).toBeNull()
    expect(view.dates.legalBasis).toBe('sgb10_37_2a_notification')
    expect(view.dates.deemedDeliveryOn).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(view.dates.objectionDeadline > view.dates.deemedDeliveryOn).toBe(true)
    expect(view.letter).toBeNull()

    // First open is the retrieval, recorded once.
    const read = () =>
      w.t.app.request(`/v1/postbox/messages/${messageId}/read`, { method: 'POST', headers: c.headers() })
    expect((await read()).status).toBe(200)
    const first = await waitNotice(w, json.id, (n) => n.retrievedAt !== null)
    await sleep(20)
    expect((await read()).status).toBe(200)
    const again = await w.t.deps.store.notices.getForJob(json.id)
    expect(again?.retrievedAt?.getTime()).toBe(first.retrievedAt?.getTime())
    const audits = (await w.t.deps.store.audit.list(0, 500)).filter((a) => a.action === 'notice.retrieved')
    expect(audits).toHaveLength(1)
    // Notified before the retrieval: the notification rule stays the legal basis.
    expect(again?.legalBasis).toBe('sgb10_37_2a_notification')

    // The citizen sees the deadline with the rule explained.
    const dates = await readJson(
      await w.t.app.request(`/v1/postbox/messages/${messageId}/notice`, { headers: c.headers() }),
    )
    expect(dates.deemedDeliveryOn).toBe(view.dates.deemedDeliveryOn)
    expect(dates.objectionDeadline).toBe(view.dates.objectionDeadline)
    expect(dates.explanation).toContain('§ 37 Abs. 2a SGB X')
    expect(dates.explanation).toContain('§ 84 SGG')
  })

  it('checks an uploaded PDF with clamd, releases it as a clean attachment and counts its download as retrieval', async () => {
    w = await noticeWorld(kind, {}, { smtp: true })
    const c = await activatedCitizen(w, { language: 'en' })
    const { res, json } = await postPdfNotice(w, { customerNumber: c.customerNumber }, await samplePdf(2))
    expect(res.status).toBe(202)
    expect(json.document).toMatchObject({ kind: 'pdf', state: 'pending' })
    const notice = await waitNotice(w, json.id, (n) => n.notifyState === 'sent')
    expect(notice.documentState).toBe('clean')
    const list = await readJson(
      await w.t.app.request('/v1/postbox/messages?folder=inbox', { headers: c.headers() }),
    )
    const thread = await readJson(
      await w.t.app.request(`/v1/postbox/threads/${list.items[0].threadId}`, { headers: c.headers() }),
    )
    const attachment = thread.messages[0].attachments[0]
    expect(attachment).toMatchObject({ state: 'clean', type: 'application/pdf' })
    expect(w.smtp?.messages).toHaveLength(1)
    const mail = w.smtp?.messages[0]
    expect(mail?.subject).toBe('New message in your Postkorb')
    for (const secret of ['bescheid-geheim', attachment.name, 'Bewilligungsbescheid', 'NOTICE PAGE'])
      expect(mail?.raw).not.toContain(secret)

    const download = await w.t.app.request(`/v1/postbox/attachments/${attachment.id}`, {
      headers: c.headers(),
    })
    expect(download.status).toBe(200)
    expect(
      Buffer.from(await download.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-')
    const retrieved = await waitNotice(w, json.id, (n) => n.retrievedAt !== null)
    expect(retrieved.retrievedAt).not.toBeNull()
  })

  it('counts the download of the notice as a message PDF as its first retrieval', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w)
    const { json } = await postTextNotice(w, { customerNumber: c.customerNumber })
    const n = await waitNotice(w, json.id, (x) => x.notifyState === 'sent')
    expect(n.retrievedAt).toBeNull()
    const res = await w.t.app.request(`/v1/postbox/messages/${n.messageId}/pdf`, { headers: c.headers() })
    expect(res.status).toBe(200)
    const after = await w.t.deps.store.notices.getForJob(json.id)
    expect(after?.retrievedAt).not.toBeNull()
  })

  it('keeps the office record of a notice when the citizen deletes the account', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w)
    const { json } = await postTextNotice(w, { customerNumber: c.customerNumber })
    await waitNotice(w, json.id, (x) => x.notifyState === 'sent')
    expect(await w.t.deps.store.citizens.delete(c.citizen.id)).toBe(true)
    const view = await getNotice(w, json.id)
    expect(view).toMatchObject({ id: json.id, channel: 'online', notification: { state: 'sent' } })
    expect((await w.t.deps.store.notices.getForJob(json.id))?.citizenId).toBeNull()
  })

  it('refuses an infected or mistyped PDF: nothing reaches the postbox and the office sees why', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w)
    const eicar = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
    const infected = Buffer.concat([await samplePdf(1), Buffer.from(`\n%${eicar}\n`)])
    const a = await postPdfNotice(w, { customerNumber: c.customerNumber }, infected)
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])
    const b = await postPdfNotice(w, { customerNumber: c.customerNumber }, png)
    expect([a.res.status, b.res.status]).toEqual([202, 202])
    const na = await waitNotice(w, a.json.id, (n) => n.state === 'refused')
    const nb = await waitNotice(w, b.json.id, (n) => n.state === 'refused')
    expect(na.documentState).toBe('infected')
    expect(na.documentDetail).toContain('EICAR')
    expect(nb.documentState).toBe('rejected_type')
    expect(na.messageId).toBeNull()
    const view = await getNotice(w, a.json.id)
    expect(view).toMatchObject({ state: 'refused', document: { state: 'infected' }, channel: null })
    const list = await readJson(
      await w.t.app.request('/v1/postbox/messages?folder=inbox', { headers: c.headers() }),
    )
    expect(list.items).toHaveLength(0)
    expect(w.smtp?.messages).toHaveLength(0)
  })

  it('keeps an uploaded PDF unreleased while clamd is unreachable, retrying', async () => {
    w = await noticeWorld(kind, { CLAMD_SOCKET: '/nonexistent/postkorb/clamd.sock' })
    const c = await activatedCitizen(w)
    const { json } = await postPdfNotice(w, { customerNumber: c.customerNumber }, await samplePdf(1))
    await waitNotice(w, json.id, () => true)
    await sleep(1500)
    const jobs = await w.t.deps.queue.counts('notice.deliver')
    expect(jobs.completed).toBe(0)
    expect(jobs.waiting + jobs.active).toBe(1)
    const n = await w.t.deps.store.notices.getForJob(json.id)
    expect(n).toMatchObject({ documentState: 'pending', state: 'received', messageId: null, channel: null })
  })
})

describeBackends('notices API', (kind) => {
  let w: NoticeWorld
  afterEach(async () => w?.close())

  it('is idempotent on the sender notice id and refuses a reused id for another customer', async () => {
    w = await noticeWorld(kind, {}, { workers: false })
    const c = await activatedCitizen(w)
    const first = await postTextNotice(w, { customerNumber: c.customerNumber, senderNoticeId: 'efile-4711' })
    const second = await postTextNotice(w, { customerNumber: c.customerNumber, senderNoticeId: 'efile-4711' })
    expect(first.res.status).toBe(202)
    expect(second.res.status).toBe(200)
    expect(second.json.id).toBe(first.json.id)
    const pdf = await postPdfNotice(
      w,
      { customerNumber: c.customerNumber, senderNoticeId: 'efile-4711' },
      await samplePdf(1),
    )
    expect(pdf.res.status).toBe(200)
    const other = await postTextNotice(w, { customerNumber: 'K-OTHER', senderNoticeId: 'efile-4711' })
    expect(other.res.status).toBe(409)
    expect(other.json.code).toBe('notices.duplicate_conflict')
    expect((await w.t.deps.queue.counts('notice.deliver')).waiting).toBe(1)
  })

  it('answers bad input with problem+json', async () => {
    w = await noticeWorld(kind, {}, { workers: false })
    const c = await activatedCitizen(w)
    const noDoc = await w.t.app.request('/v1/office/notices', {
      method: 'POST',
      headers: w.staff.headers(),
      body: JSON.stringify({
        senderNoticeId: 'x1',
        customerNumber: c.customerNumber,
        noticeType: 'a',
        subject: 's',
        digital: true,
      }),
    })
    expect(noDoc.status).toBe(422)
    expect((await readJson(noDoc)).code).toBe('notices.document_required')
    const invalid = await postTextNotice(w, { customerNumber: c.customerNumber, noticeType: 'Not A Code' })
    expect(invalid.res.status).toBe(422)
    const word = await postPdfNotice(w, { customerNumber: c.customerNumber }, Buffer.from('hello'), {
      filename: 'a.docx',
      type: 'application/msword',
    })
    expect(word.res.status).toBe(415)
    expect(word.json.code).toBe('notices.not_pdf')
    const badThread = await postTextNotice(w, {
      customerNumber: c.customerNumber,
      threadId: '00000000-0000-4000-8000-000000000000',
    })
    expect(badThread.res.status).toBe(422)
    expect(badThread.json.code).toBe('notices.thread_not_found')
  })

  it('needs an office token of a caseworker or integration and scopes reads to the office', async () => {
    w = await noticeWorld(kind, {}, { workers: false })
    const c = await activatedCitizen(w)
    const { json } = await postTextNotice(w, { customerNumber: c.customerNumber })
    const anonymous = await w.t.app.request('/v1/office/notices', { method: 'POST', body: '{}' })
    expect(anonymous.status).toBe(401)
    const asCitizen = await w.t.app.request(`/v1/office/notices/${json.id}`, { headers: c.headers() })
    expect(asCitizen.status).toBe(401)
    const { createOffice, createStaffToken } = await import('../helpers/staff.ts')
    const agent = await createStaffToken(w.t.deps, w.office.id, 'service_center_agent')
    expect(
      (await w.t.app.request(`/v1/office/notices/${json.id}`, { headers: agent.headers() })).status,
    ).toBe(403)
    const other = await createOffice(w.t.deps, 'Jobcenter Süd')
    const foreign = await createStaffToken(w.t.deps, other.id, 'caseworker')
    const res = await w.t.app.request(`/v1/office/notices/${json.id}`, { headers: foreign.headers() })
    expect(res.status).toBe(404)
    expect((await readJson(res)).code).toBe('notices.not_found')
    const caseworker = await createStaffToken(w.t.deps, w.office.id, 'caseworker')
    expect(
      (await w.t.app.request(`/v1/office/notices/${json.id}`, { headers: caseworker.headers() })).status,
    ).toBe(200)
  })
})
