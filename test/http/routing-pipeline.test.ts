import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { efileSecret } from '../../src/features/delivery/efile-signature.ts'
import type { Office } from '../../src/store/store.types.ts'
import type { TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { type EfileReceiver, startEfileReceiver } from '../helpers/efile-receiver.ts'
import { createStaffToken, type Json, jsonRequest, readJson, type StaffToken } from '../helpers/staff.ts'
import { clamdReason, withClamd } from './attachments-fixtures.ts'
import { apiFor, citizenOf } from './postbox-fixtures.ts'
import { makeRoutingApp, officeWithRules, queueDefault, waitForDeliveries } from './routing-fixtures.ts'
import { EICAR, realPdf, upload } from './upload-check-fixtures.ts'

/**
 * The whole path with every real peer: a citizen uploads a real PDF and an infected one through the
 * API → upload.check with the real clamd → message.route → e-file (signed, clean file only) and a
 * service-center queue (fan-out) → an agent answers → the citizen sees forwarded, then answered.
 */
describeBackends('message pipeline: check → route → e-file and queue → answer', (kind) => {
  let t: TestApp
  let office: Office
  let receiver: EfileReceiver
  let agent: StaffToken
  beforeAll(async () => {
    if (clamdReason) return
    t = await makeRoutingApp(kind, withClamd())
    receiver = await startEfileReceiver(() => efileSecret(t.deps.keyring, office.id))
    office = await officeWithRules(
      t,
      [
        {
          id: 'r-evidence',
          name: 'Nachweise in die E-Akte und ans Service Center',
          match: { categories: ['evidence'], hasAttachments: true },
          destinations: [{ kind: 'efile' }, { kind: 'queue', queue: 'nachweise', slaHours: 24 }],
        },
        queueDefault(),
      ],
      { efileEndpoint: receiver.url },
    )
    agent = await createStaffToken(t.deps, office.id, 'service_center_agent')
  })
  afterAll(async () => {
    await t?.close()
    await receiver?.close()
  })

  describe.skipIf(clamdReason !== null)('with the real clamd', () => {
    it('delivers only the clean file, names the refused one, and ends answered', async () => {
      const who = await citizenOf(t, office)
      const api = apiFor(t, who)
      const pdf = await realPdf('Kontoauszug März')
      const clean = await upload(t, who, 'kontoauszug.pdf', 'application/pdf', pdf)
      const infected = await upload(t, who, 'rechnung.pdf', 'application/pdf', EICAR)
      const sent = await api.send({
        category: 'evidence',
        subject: 'Nachweise März',
        body: 'Anbei die Kontoauszüge.',
        attachmentIds: [clean, infected],
      })
      const ds = await waitForDeliveries(
        t,
        sent.messageId,
        (d) => d.length === 2 && d.every((x) => x.state === 'delivered'),
        30_000,
      )
      const efile = ds.find((d) => d.destinationKind === 'efile')
      const doc = receiver.documents.get(efile?.id ?? '')
      expect(doc?.envelope).toMatchObject({
        messageId: sent.messageId,
        rule: 'r-evidence',
        attachments: [{ name: 'kontoauszug.pdf', size: pdf.length }],
        refused: [{ name: 'rechnung.pdf', state: 'infected' }],
      })
      expect(doc?.parts.find((p) => p.name === 'attachment-1')?.data.equals(pdf)).toBe(true)
      const thread = await readJson(await api.call('GET', `/v1/postbox/threads/${sent.threadId}`))
      expect(thread.messages[0]).toMatchObject({ status: 'forwarded' })

      const item = ds.find((d) => d.destinationKind === 'queue')?.externalId ?? ''
      expect(
        (await t.app.request(`/v1/service-center/items/${item}/claim`, jsonRequest('POST', agent.headers())))
          .status,
      ).toBe(200)
      const reply = await t.app.request(
        `/v1/service-center/items/${item}/reply`,
        jsonRequest('POST', agent.headers(), { body: 'Danke, die Nachweise sind vollständig.' }),
      )
      expect(reply.status).toBe(201)
      const after = await readJson(await api.call('GET', `/v1/postbox/threads/${sent.threadId}`))
      expect(after.messages.map((m: Json) => m.status)).toEqual(['answered', null])
      expect(after.messages[1].body).toBe('Danke, die Nachweise sind vollständig.')
    })
  })
})
