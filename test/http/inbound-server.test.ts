import { request } from 'node:http'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/server.ts'
import type { Office } from '../../src/store/store.types.ts'
import { startWorkers } from '../../workers/main.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createStaffToken, type StaffToken } from '../helpers/staff.ts'
import { composeMail, mailOffice, replyTo, settled, tinyPdf } from './inbound-fixtures.ts'
import { apiFor, citizenOf } from './postbox-fixtures.ts'

/** POSTs a body over a real socket in 64 KiB writes; resolves with the status and how much was written. */
function send(url: string, token: string, total: number, piece: (i: number) => Buffer) {
  return new Promise<{ status: number; body: string; written: number }>((resolve, reject) => {
    let written = 0
    const req = request(`${url}/v1/inbound/email`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'message/rfc822' },
    })
    req.on('response', (res) => {
      let body = ''
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, written }))
    })
    req.on('error', (err) => (written > 0 ? undefined : reject(err)))
    const pump = (i: number) => {
      while (written < total) {
        const chunk = piece(i++)
        written += chunk.length
        if (!req.write(chunk)) return void req.once('drain', () => pump(i))
      }
      req.end()
    }
    pump(0)
  })
}

describeBackends('inbound email over a real HTTP server with the workers running', (kind) => {
  let t: TestApp
  let server: RunningServer
  let office: Office
  let gateway: StaffToken
  beforeAll(async () => {
    t = await makeTestApp(kind, { HOST: '127.0.0.1' })
    office = await mailOffice(t, 'jobcenter-a.example')
    gateway = await createStaffToken(t.deps, office.id, 'integration')
    await startWorkers(t.deps)
    server = await startServer(t.deps)
  })
  afterAll(async () => {
    await server.close(1000)
    await t.close()
  })

  it('appends a reply with a PDF sent over the socket, past the app-wide body limit', async () => {
    const who = await citizenOf(t, office)
    const api = apiFor(t, who)
    const sent = await api.send({ subject: 'Frage', body: 'Wann?' })
    const raw = await composeMail({
      from: 'sb@jobcenter-a.example',
      to: replyTo(t.deps, sent.threadId),
      text: 'Morgen.\n\nOn Tue, Dec 1, 2026 at 9:12 AM Postkorb wrote:\n> Wann?',
      attachments: [
        { filename: 'gross.pdf', content: Buffer.concat([tinyPdf, Buffer.alloc(2 * 1024 * 1024, 0x20)]) },
      ],
    })
    expect(raw.length).toBeGreaterThan(t.deps.config.http.maxBodyBytes)
    const res = await send(server.url, gateway.token, raw.length, (i) =>
      raw.subarray(i * 65_536, (i + 1) * 65_536),
    )
    expect(res.status, res.body).toBe(202)
    const row = await settled(t, JSON.parse(res.body).id)
    expect(row.state).toBe('appended')
    const view = (await (await api.call('GET', `/v1/postbox/threads/${sent.threadId}`)).json()) as {
      messages: { body: string; attachments: { name: string }[] }[]
    }
    expect(view.messages[1]).toMatchObject({ body: 'Morgen.', attachments: [{ name: 'gross.pdf' }] })
  })

  it('answers 413 to a 30 MiB attachment mid-stream and keeps serving', async () => {
    const head = Buffer.from(
      'From: sb@jobcenter-a.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n',
    )
    const line = Buffer.from(`${'QUFB'.repeat(19)}\r\n`.repeat(800))
    const total = Math.ceil(30 * 1024 * 1024 * (4 / 3))
    const res = await send(server.url, gateway.token, total, (i) => (i === 0 ? head : line))
    expect(res.status).toBe(413)
    // The server stopped reading at the limit: the rest of the 40 MiB body was never taken.
    expect(res.written).toBeLessThan(total)
    expect(JSON.parse(res.body)).toMatchObject({ code: 'inbound.too_large' })
    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
  })
})
