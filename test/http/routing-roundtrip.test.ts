import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Office } from '../../src/store/store.types.ts'
import type { TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { type SmtpCapture, startSmtpCapture } from '../helpers/smtp.ts'
import { createStaffToken, type Json, readJson, type StaffToken } from '../helpers/staff.ts'
import { composeMail, mailOffice, postMail, settled } from './inbound-fixtures.ts'
import { apiFor, citizenOf } from './postbox-fixtures.ts'
import { makeRoutingApp, sendText, waitForDeliveries } from './routing-fixtures.ts'

/**
 * The whole text path with real peers: citizen sends → message.route → deliver.email over SMTP →
 * the caseworker answers the captured mail → POST /v1/inbound/email → the reply is in the thread and
 * the citizen sees their message answered. (Files through the upload check: issue 5's tests.)
 */
describeBackends('routing round trip by email', (kind) => {
  let t: TestApp
  let smtp: SmtpCapture
  let office: Office
  let gateway: StaffToken
  beforeAll(async () => {
    smtp = await startSmtpCapture()
    t = await makeRoutingApp(kind, {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Postkorb <postkorb@jobcenter-rt.example>',
    })
    office = await mailOffice(t, 'jobcenter-rt.example')
    await t.deps.store.routing.setRules(
      office.id,
      [
        {
          id: 'r-team',
          name: 'Team-Postfach',
          match: {},
          destinations: [{ kind: 'email', address: 'team@jobcenter-rt.example' }],
          isDefault: true,
        },
      ],
      null,
    )
    gateway = await createStaffToken(t.deps, office.id, 'integration')
  })
  afterAll(async () => {
    await t.close()
    await smtp.close()
  })

  const answer = async (to: string, inReplyTo: string, text: string) => {
    const raw = await composeMail({
      from: 'Sachbearbeitung <team@jobcenter-rt.example>',
      to,
      subject: 'AW: Ihre Nachricht',
      inReplyTo,
      references: [inReplyTo],
      text: `${text}\n\nAm 01.12.2026 schrieb Postkorb:\n> Wann kommt mein Geld?\n`,
    })
    const res = await postMail(t, gateway, raw)
    expect(res.status, await res.clone().text()).toBe(202)
    return settled(t, (await readJson(res)).id)
  }

  it('answers by the Reply-To token: the reply lands in the thread, quote stripped, message answered', async () => {
    const who = await citizenOf(t, office)
    const api = apiFor(t, who)
    const sent = await sendText(t, who, { body: 'Wann kommt mein Geld?' })
    const [d] = await waitForDeliveries(t, sent.messageId)
    expect(d?.state).toBe('delivered')
    const mail = await smtp.waitFor((m) => m.headers['message-id'] === d?.externalId)
    const replyTo = (mail.headers['reply-to'] ?? '').replace(/^.*<|>.*$/g, '')
    const row = await answer(replyTo, d?.externalId ?? '', 'Die Zahlung ist am 30. angewiesen.')
    expect(row.state).toBe('appended')
    const view = await readJson(await api.call('GET', `/v1/postbox/threads/${sent.threadId}`))
    expect(view.messages.map((m: Json) => [m.direction, m.status, m.body])).toEqual([
      ['citizen_to_office', 'answered', 'Wann kommt mein Geld?'],
      ['office_to_citizen', null, 'Die Zahlung ist am 30. angewiesen.'],
    ])
    // The folder listing says so too (the state is written with the answer, not derived per thread).
    const sentFolder = await api.list({ folder: 'sent' })
    expect(sentFolder.items.find((m) => m.id === sent.messageId)?.status).toBe('answered')
  })

  it('answers to the inbox address without the token: the Message-ID we stored finds the thread', async () => {
    const who = await citizenOf(t, office)
    const api = apiFor(t, who)
    const sent = await sendText(t, who, { body: 'Brauchen Sie noch etwas?' })
    const [d] = await waitForDeliveries(t, sent.messageId)
    await smtp.waitFor((m) => m.headers['message-id'] === d?.externalId)
    const row = await answer('team@jobcenter-rt.example', d?.externalId ?? '', 'Nein, alles vollständig.')
    expect(row.state).toBe('appended')
    const view = await readJson(await api.call('GET', `/v1/postbox/threads/${sent.threadId}`))
    expect(view.messages.at(-1)).toMatchObject({
      direction: 'office_to_citizen',
      body: 'Nein, alles vollständig.',
    })
    expect(view.messages[0].status).toBe('answered')
  })
})
