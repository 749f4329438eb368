import { randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import { efileSecret, verifyEfileSignature } from '../../src/features/delivery/efile-signature.ts'
import { waitFor } from '../contract/fixtures/wait.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createStaffToken } from '../helpers/staff.ts'
import {
  ADDRESS,
  activatedCitizen,
  type NoticeWorld,
  noticeWorld,
  postTextNotice,
  waitNotice,
} from './notices-fixtures.ts'

type Received = { headers: IncomingHttpHeaders; body: Buffer; json: { event: string; [k: string]: unknown } }

/** A real e-file receiver on 127.0.0.1 that answers 503 to the first `failFirst` requests. */
async function efileReceiver(failFirst = 0) {
  const received: Received[] = []
  let calls = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      calls++
      if (calls <= failFirst) return void res.writeHead(503).end()
      const body = Buffer.concat(chunks)
      received.push({ headers: req.headers, body, json: JSON.parse(body.toString('utf8')) })
      res.writeHead(202).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/efile/inbox`
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describeBackends('notice receipts pushed to the e-file system', (kind) => {
  let w: NoticeWorld
  let receiver: Awaited<ReturnType<typeof efileReceiver>> | undefined
  afterEach(async () => {
    await w?.close()
    await receiver?.close()
  })

  async function officeWithEfile(url: string) {
    const office = await w.t.deps.store.offices.create({
      id: randomUUID(),
      code: `JC-E${randomUUID().slice(0, 6)}`,
      name: 'Jobcenter Efile',
      efileEndpoint: url,
      inboxAddress: null,
      allowedSenders: [],
      routingRules: [],
    })
    w.office = office
    w.staff = await createStaffToken(w.t.deps, office.id, 'integration')
    return office
  }

  it('pushes provision, notification and retrieval of an online notice, signed and without content', async () => {
    receiver = await efileReceiver(1)
    w = await noticeWorld(kind)
    const office = await officeWithEfile(receiver.url)
    const c = await activatedCitizen(w)
    const { json } = await postTextNotice(w, {
      customerNumber: c.customerNumber,
      subject: 'Geheimer Betreff',
    })
    const n = await waitNotice(w, json.id, (x) => x.notifyState === 'sent')
    await w.t.app.request(`/v1/postbox/messages/${n.messageId}/read`, {
      method: 'POST',
      headers: c.headers(),
    })
    const events = () => receiver?.received.map((r) => r.json.event).sort() ?? []
    await waitFor(() => events().length >= 3, 30_000)
    expect(events()).toEqual(['notified', 'provided', 'retrieved'])
    const secret = efileSecret(w.t.deps.keyring, office.id)
    for (const r of receiver.received) {
      expect(
        verifyEfileSignature(secret, r.headers['postkorb-signature'] as string, r.body, new Date(), 300),
      ).toBe(true)
      expect(r.headers['idempotency-key']).toBe(`notice-receipt:${n.id}:${r.json.event}`)
      expect(r.body.toString('utf8')).not.toContain('Geheimer')
    }
    const retrieved = receiver.received.find((r) => r.json.event === 'retrieved')?.json as unknown as {
      dates: { firstRetrievedAt: string | null; deemedDeliveryOn: string | null; legalBasis: string }
      notice: { senderNoticeId: string }
    }
    expect(retrieved.notice.senderNoticeId).toBe(n.senderNoticeId)
    expect(retrieved.dates.firstRetrievedAt).not.toBeNull()
    expect(retrieved.dates.legalBasis).toBe('sgb10_37_2a_notification')
  })

  it('pushes the queued letter of a postal notice, and nothing for offices without an e-file endpoint', async () => {
    receiver = await efileReceiver()
    w = await noticeWorld(kind)
    const plain = await postTextNotice(w, { customerNumber: 'K-PLAIN', postalAddress: { lines: ADDRESS } })
    await waitNotice(w, plain.json.id, (x) => x.state === 'printing')
    expect(await w.t.deps.queue.counts('notice.receipt')).toMatchObject({
      waiting: 0,
      active: 0,
      completed: 0,
    })
    await officeWithEfile(receiver.url)
    const { json } = await postTextNotice(w, { customerNumber: 'K-POST', postalAddress: { lines: ADDRESS } })
    await waitNotice(w, json.id, (x) => x.state === 'printing')
    await waitFor(() => (receiver?.received.length ?? 0) >= 1, 15_000)
    expect(receiver.received[0]?.json).toMatchObject({
      event: 'letter_queued',
      letter: { state: 'queued', reason: 'postal' },
    })
  })
})
