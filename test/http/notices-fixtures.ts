import { randomUUID } from 'node:crypto'
import { PDFDocument, StandardFonts } from 'pdf-lib'
import type { Notice } from '../../src/store/notices.types.ts'
import type { Citizen } from '../../src/store/store.types.ts'
import { startWorkers } from '../../workers/main.ts'
import { waitFor } from '../contract/fixtures/wait.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import type { BackendKind } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { testClamdSocket } from '../helpers/config.ts'
import { type SmtpCapture, startSmtpCapture } from '../helpers/smtp.ts'
import { createOffice, createStaffToken, type Json, readJson, type StaffToken } from '../helpers/staff.ts'
import { multipart } from './attachments-fixtures.ts'

export type NoticeWorld = {
  t: TestApp
  smtp: SmtpCapture | null
  office: { id: string; name: string }
  staff: StaffToken
  /** Binds every job handler to the queue (the test decides when the worker starts). */
  startWorkers(): Promise<void>
  close(): Promise<void>
}

/** A real app (store, queue, clamd, SMTP capture unless smtp is false) with one office and its integration token. */
export async function noticeWorld(
  kind: BackendKind,
  env: Record<string, string | undefined> = {},
  opts: { smtp?: boolean; workers?: boolean } = {},
): Promise<NoticeWorld> {
  const smtp = opts.smtp === false ? null : await startSmtpCapture()
  const t = await makeTestApp(kind, {
    CLAMD_SOCKET: testClamdSocket,
    NOTIFY_DEBOUNCE_SECONDS: '0',
    PUBLIC_URL: 'https://postkorb.example',
    ...(smtp ? { SMTP_URL: smtp.url } : {}),
    ...env,
  })
  const office = await createOffice(t.deps, 'Jobcenter Nordstadt')
  const staff = await createStaffToken(t.deps, office.id, 'integration')
  let started = false
  const world: NoticeWorld = {
    t,
    smtp,
    office,
    staff,
    async startWorkers() {
      if (started) return
      started = true
      await startWorkers(t.deps)
    },
    async close() {
      await t.close()
      await smtp?.close()
    },
  }
  if (opts.workers !== false) await world.startWorkers()
  return world
}

/** An activated citizen of the office with a customer number, online communication as given. */
export async function activatedCitizen(
  w: NoticeWorld,
  opts: { onlineComm?: boolean; language?: 'de' | 'en'; customerNumber?: string } = {},
): Promise<SignedIn & { customerNumber: string }> {
  const customerNumber = opts.customerNumber ?? `K${randomUUID().slice(0, 8).toUpperCase()}`
  const s = await createSignedInCitizen(w.t.deps, { officeId: w.office.id, customerNumber })
  const patch = {
    onlineComm: opts.onlineComm ?? true,
    onlineCommChangedAt: new Date(),
    consentVersion: opts.onlineComm === false ? null : 'online-2026-01',
    language: opts.language ?? 'de',
  }
  await w.t.deps.store.citizens.update(s.citizen.id, patch)
  const citizen = (await w.t.deps.store.citizens.get(s.citizen.id)) as Citizen
  return { ...s, citizen, customerNumber }
}

export const ADDRESS = ['Erika Mustermann', 'Heidestraße 17', '51147 Köln']

export type NoticeBody = {
  senderNoticeId?: string
  customerNumber: string
  noticeType?: string
  subject?: string
  digital?: boolean
  threadId?: string
  text?: { salutation?: string; paragraphs: string[]; closing?: string }
  postalAddress?: { lines: string[] }
}

const complete = (b: NoticeBody) => ({
  senderNoticeId: b.senderNoticeId ?? `efile-${randomUUID()}`,
  noticeType: b.noticeType ?? 'benefit_decision',
  subject: b.subject ?? 'Bewilligungsbescheid Bürgergeld März',
  digital: b.digital ?? true,
  ...b,
})

/** POST /v1/office/notices as JSON (structured text). */
export async function postTextNotice(w: NoticeWorld, body: NoticeBody, headers = w.staff.headers()) {
  const full = complete({ text: { paragraphs: ['Ihr Anspruch beträgt 563,00 Euro monatlich.'] }, ...body })
  const res = await w.t.app.request('/v1/office/notices', {
    method: 'POST',
    headers,
    body: JSON.stringify(full),
  })
  return { res, json: await readJson(res), sent: full }
}

/** POST /v1/office/notices as multipart with a PDF. */
export async function postPdfNotice(
  w: NoticeWorld,
  body: NoticeBody,
  pdf: Buffer,
  file: { filename?: string; type?: string } = {},
) {
  const full = complete(body)
  const form = multipart([
    { name: 'notice', content: Buffer.from(JSON.stringify(full)) },
    {
      name: 'file',
      filename: file.filename ?? 'bescheid-geheim.pdf',
      type: file.type ?? 'application/pdf',
      content: pdf,
    },
  ])
  const res = await w.t.app.request('/v1/office/notices', {
    method: 'POST',
    headers: { Authorization: `Bearer ${w.staff.token}`, 'Content-Type': form.contentType },
    body: form.body,
  })
  return { res, json: await readJson(res), sent: full }
}

/** A real PDF of n pages, each saying "NOTICE PAGE i OF n" plus a marker. */
export async function samplePdf(pages: number, marker = 'Bescheidtext'): Promise<Buffer> {
  const doc = await PDFDocument.create()
  const font = await doc.embedFont(StandardFonts.Helvetica)
  for (let i = 1; i <= pages; i++) {
    const page = doc.addPage([595.28, 841.89])
    page.drawText(`NOTICE PAGE ${i} OF ${pages}`, { x: 72, y: 760, size: 14, font })
    page.drawText(marker, { x: 72, y: 730, size: 12, font })
  }
  return Buffer.from(await doc.save())
}

/** The notice as the store holds it, after waiting until check holds. */
export async function waitNotice(
  w: NoticeWorld,
  id: string,
  check: (n: Notice) => boolean,
  timeoutMs = 15_000,
) {
  let last: Notice | null = null
  await waitFor(async () => {
    last = await w.t.deps.store.notices.getForJob(id)
    return last !== null && check(last)
  }, timeoutMs).catch((err) => {
    throw new Error(
      `${(err as Error).message}; notice was ${JSON.stringify(last, (_k, v) => (v?.type === 'Buffer' ? '<bytes>' : v))}`,
    )
  })
  return last as unknown as Notice
}

export const getNotice = async (w: NoticeWorld, id: string): Promise<Json> =>
  readJson(await w.t.app.request(`/v1/office/notices/${id}`, { headers: w.staff.headers() }))
