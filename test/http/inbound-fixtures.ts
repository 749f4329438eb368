import { randomUUID } from 'node:crypto'
import MailComposer from 'nodemailer/lib/mail-composer'
import type Mail from 'nodemailer/lib/mailer'
import type { Deps } from '../../src/deps.ts'
import { replyAddress, replyTokenKey, signReplyToken } from '../../src/features/inbound/reply-token.ts'
import type { AnyStore } from '../../src/store/create-store.ts'
import type { InboundMail } from '../../src/store/inbound.port.ts'
import * as pgSchema from '../../src/store/pg/schema.ts'
import * as sqliteSchema from '../../src/store/sqlite/schema.ts'
import type { Office } from '../../src/store/store.types.ts'
import type { TestApp } from '../helpers/app.ts'
import type { StaffToken } from '../helpers/staff.ts'

/** An office that accepts replies from its own domain and one partner address. */
export async function mailOffice(t: TestApp, domain: string): Promise<Office> {
  const suffix = randomUUID().slice(0, 8).toUpperCase()
  return t.deps.store.offices.create({
    id: randomUUID(),
    code: `JC-${suffix}`,
    name: `Jobcenter ${suffix}`,
    efileEndpoint: null,
    inboxAddress: `team@${domain}`,
    allowedSenders: [`@${domain}`, 'partner@extern.example'],
    routingRules: [],
  })
}

/** The signed reply address of a thread, as deliver.email puts it in Reply-To. */
export function replyTo(
  deps: Pick<Deps, 'config' | 'keyring'>,
  threadId: string,
  expiresAt = new Date(Date.now() + 86_400_000),
) {
  return replyAddress(deps.config, signReplyToken(replyTokenKey(deps.keyring), threadId, expiresAt))
}

/** A raw RFC 822 mail built by nodemailer's MailComposer, as a mail client would send it. */
export const composeMail = (mail: Mail.Options): Promise<Buffer> => new MailComposer(mail).compile().build()

/** POSTs a raw mail to the inbound endpoint with the integration token. */
export function postMail(
  t: TestApp,
  token: StaffToken,
  raw: Buffer | ReadableStream<Uint8Array>,
  type = 'message/rfc822',
) {
  return t.app.request('/v1/inbound/email', {
    method: 'POST',
    headers: { Authorization: `Bearer ${token.token}`, 'Content-Type': type },
    body: raw,
    ...(raw instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
}

/** Waits until the worker has settled the mail (appended or review) and returns its row. */
export async function settled(t: TestApp, id: string): Promise<InboundMail> {
  for (let i = 0; i < 400; i++) {
    const row = await t.deps.store.inbound.get(id)
    if (row && row.state !== 'received') return row
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`inbound mail ${id} was not processed`)
}

/** A delivered email of a citizen message, as deliver.email (issue 6a) records it with the sent Message-ID. */
export async function emailDelivery(t: TestApp, messageId: string, externalId: string, to: string) {
  const now = new Date()
  const row = {
    id: randomUUID(),
    messageId,
    destinationKind: 'email',
    destination: to,
    state: 'delivered',
    attempts: 1,
    externalId,
    error: null,
    createdAt: now,
    updatedAt: now,
    deliveredAt: now,
  }
  const store = t.deps.store as AnyStore
  if (store.dialect === 'sqlite')
    await store.exec((db) => db.insert(sqliteSchema.deliveries).values(row).run())
  else await store.db.insert(pgSchema.deliveries).values(row)
}

/** A PDF small enough for a test, large enough to be one. */
export const tinyPdf = Buffer.from(
  '%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n',
)
