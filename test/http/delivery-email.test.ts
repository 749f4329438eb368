import { afterAll, beforeAll, expect, it } from 'vitest'
import { replyTokenKey, replyTokenOf, verifyReplyToken } from '../../src/features/inbound/reply-token.ts'
import type { Office } from '../../src/store/store.types.ts'
import type { TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { type SmtpCapture, startSmtpCapture } from '../helpers/smtp.ts'
import { citizenOf } from './postbox-fixtures.ts'
import {
  makeRoutingApp,
  officeWithRules,
  queueDefault,
  sendWithFiles,
  waitForDeliveries,
} from './routing-fixtures.ts'

const PDF = Buffer.from('%PDF-1.4\n% Postkorb test file\n%%EOF\n')

describeBackends('deliver.email', (kind) => {
  let t: TestApp
  let smtp: SmtpCapture
  let office: Office
  beforeAll(async () => {
    smtp = await startSmtpCapture()
    t = await makeRoutingApp(kind, { SMTP_URL: smtp.url, MAIL_FROM: 'Postkorb <postkorb@jobcenter.example>' })
    office = await officeWithRules(t, [
      {
        id: 'r-fanout',
        name: 'Nachweise: E-Mail-Postfach und Service Center',
        match: { categories: ['evidence'] },
        destinations: [
          { kind: 'email', address: 'Team-Nord@Jobcenter.example' },
          { kind: 'queue', queue: 'nachweise' },
        ],
      },
      queueDefault(),
    ])
  })
  afterAll(async () => {
    await t.close()
    await smtp.close()
  })

  it('mails the office inbox with category and reference, PDF and clean files, a signed Reply-To and our Message-ID', async () => {
    const who = await citizenOf(t, office)
    const sent = await sendWithFiles(t, who, [
      { name: 'kontoauszug.pdf', content: PDF, state: 'clean' },
      { name: 'schadcode.pdf', content: Buffer.from('nope'), state: 'infected' },
    ])
    const ds = await waitForDeliveries(
      t,
      sent.messageId,
      (d) => d.length === 2 && d.every((x) => x.state === 'delivered'),
    )
    const email = ds.find((d) => d.destinationKind === 'email')
    expect(email?.destination).toBe('team-nord@jobcenter.example')
    expect(email?.externalId).toBe(`<${email?.id}@jobcenter.example>`)
    const thread = await t.deps.store.postbox.getThread(who.citizen.id, sent.threadId)
    const mail = await smtp.waitFor((m) => m.headers['message-id'] === email?.externalId)
    expect(mail.to).toEqual(['team-nord@jobcenter.example'])
    expect(mail.subject).toBe(`[${thread?.reference}] Nachweise`)
    expect(mail.text).toContain('Anbei meine Nachweise.')
    expect(mail.text).toContain(`Kundennummer / Customer number: ${who.citizen.customerNumber}`)
    expect(mail.text).toContain('schadcode.pdf (infected)')
    // The clean file and the rendering travel as attachments; the infected one does not.
    expect(mail.raw).toContain('filename=kontoauszug.pdf')
    expect(mail.raw).toContain(`filename=Postkorb-${thread?.reference}.pdf`)
    expect(mail.raw).not.toContain('filename=schadcode.pdf')
    const replyTo = mail.headers['reply-to'] ?? ''
    const token = replyTokenOf(t.deps.config, replyTo.replace(/^.*<|>.*$/g, ''))
    expect(token).not.toBeNull()
    expect(verifyReplyToken(replyTokenKey(t.deps.keyring), token ?? '', new Date())).toEqual({
      ok: true,
      threadId: sent.threadId,
    })
    // Fan-out: the same message also became a service-center item.
    const items = await t.deps.store.serviceCenter.list({
      officeId: office.id,
      queue: 'nachweise',
      now: new Date(),
      limit: 5,
    })
    expect(items.map((i) => i.messageId)).toEqual([sent.messageId])
  })

  it('retries while the SMTP server is unreachable and ends failed after the attempt limit', async () => {
    const down = await startSmtpCapture()
    const url = down.url
    await down.close()
    const other = await makeRoutingApp(kind, { SMTP_URL: url })
    try {
      const o = await officeWithRules(other, [
        {
          id: 'r',
          name: 'Postfach',
          match: {},
          destinations: [{ kind: 'email', address: 'post@jc.example' }],
          isDefault: true,
        },
      ])
      const who = await citizenOf(other, o)
      const sent = await sendWithFiles(other, who, [{ name: 'a.pdf', content: PDF, state: 'clean' }])
      const [d] = await waitForDeliveries(other, sent.messageId)
      expect(d).toMatchObject({ state: 'failed', attempts: 4 })
      expect(d?.error).toMatch(/ECONNREFUSED|connect/i)
    } finally {
      await other.close()
    }
  })

  it('sends one mail however often the delivery job runs', async () => {
    const who = await citizenOf(t, office)
    const sent = await sendWithFiles(t, who, [{ name: 'b.pdf', content: PDF, state: 'clean' }])
    const ds = await waitForDeliveries(
      t,
      sent.messageId,
      (d) => d.length === 2 && d.every((x) => x.state === 'delivered'),
    )
    const email = ds.find((d) => d.destinationKind === 'email')
    await t.deps.queue.send('deliver.email', { deliveryId: email?.id ?? '' })
    await new Promise((r) => setTimeout(r, 500))
    expect(smtp.messages.filter((m) => m.headers['message-id'] === email?.externalId)).toHaveLength(1)
  })
})
