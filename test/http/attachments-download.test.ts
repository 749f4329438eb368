import { randomBytes, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { createOffice, readJson } from '../helpers/staff.ts'
import {
  blobFiles,
  clamdReason,
  insertMessage,
  multipart,
  type Part,
  samples,
  withClamd,
} from './attachments-fixtures.ts'

const MiB = 1024 * 1024

// Every test here uploads first, which needs the scanner up (issue 5 releases files; here setScanResult does).
describeBackends('attachment download and deletion', (kind) =>
  describe.skipIf(clamdReason !== null)('with the scanner up', () => {
    let t: TestApp
    let officeId: string
    let citizen: SignedIn
    beforeEach(async () => {
      t = await makeTestApp(kind, withClamd())
      officeId = (await createOffice(t.deps)).id
      citizen = await signIn()
    })
    afterEach(() => t.close())

    const signIn = () =>
      createSignedInCitizen(t.deps, { level: 'code_verified', officeId, customerNumber: '123D456789' })
    async function upload(who: SignedIn, part: Partial<Part> = {}): Promise<string> {
      const { body, contentType } = multipart([
        { filename: 'Bescheid.pdf', type: 'application/pdf', content: samples.pdf, ...part },
      ])
      const res = await t.app.request('/v1/postbox/attachments', {
        method: 'POST',
        headers: who.headers({ 'Content-Type': contentType }),
        body,
      })
      expect(res.status).toBe(201)
      return (await readJson(res)).id
    }
    const get = (who: SignedIn, id: string) =>
      t.app.request(`/v1/postbox/attachments/${id}`, { headers: who.headers() })
    const del = (who: SignedIn, id: string) =>
      t.app.request(`/v1/postbox/attachments/${id}`, { method: 'DELETE', headers: who.headers() })
    const release = (id: string) =>
      t.deps.store.attachments.setScanResult(id, { state: 'clean', detectedType: null })

    it('answers 409 with the check state while the file is pending or refused', async () => {
      const id = await upload(citizen)
      const pending = await get(citizen, id)
      expect(pending.status).toBe(409)
      expect(await readJson(pending)).toMatchObject({ code: 'attachments.not_clean', state: 'pending' })
      await t.deps.store.attachments.setScanResult(id, { state: 'infected', detail: 'Eicar-Test-Signature' })
      const infected = await readJson(await get(citizen, id))
      expect(infected).toMatchObject({ status: 409, state: 'infected' })
      expect(JSON.stringify(infected)).not.toContain('Eicar')
    })

    it('streams the exact bytes of a released file with its type, length, name and nosniff', async () => {
      const content = Buffer.concat([samples.pdf, randomBytes(3 * MiB + 17)])
      const id = await upload(citizen, { content, filename: 'Kontoauszug März.pdf' })
      expect(await release(id)).toBe(true)
      const res = await get(citizen, id)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/pdf')
      expect(res.headers.get('content-length')).toBe(String(content.length))
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="Kontoauszug Maerz.pdf"; filename*=UTF-8''Kontoauszug%20M%C3%A4rz.pdf`,
      )
      expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true)
    })

    it('serves a released JPEG as image/jpeg with its exact bytes', async () => {
      const id = await upload(citizen, { filename: 'foto.jpg', type: 'image/jpeg', content: samples.jpeg })
      await t.deps.store.attachments.setScanResult(id, { state: 'clean', detectedType: 'image/jpeg' })
      const res = await get(citizen, id)
      expect(res.headers.get('content-type')).toBe('image/jpeg')
      expect(Buffer.from(await res.arrayBuffer()).equals(samples.jpeg)).toBe(true)
    })

    it('answers a foreign, an unknown and a malformed id with the same 404', async () => {
      const id = await upload(citizen)
      await release(id)
      const stranger = await signIn()
      const bodies = []
      for (const [who, target] of [
        [stranger, id],
        [citizen, randomUUID()],
        [citizen, '..%2F..%2Fetc%2Fpasswd'],
      ] as const) {
        const res = await get(who, target)
        expect(res.status).toBe(404)
        const { requestId: _, ...problem } = await readJson(res)
        bodies.push(problem)
      }
      expect(bodies[1]).toEqual(bodies[0])
      expect(bodies[2]).toEqual(bodies[0])
      expect((await del(stranger, id)).status).toBe(404)
      expect((await get(citizen, id)).status).toBe(200)
    })

    it('sanitises names on the way in: no path, no CRLF, limited length, umlauts intact through filename*', async () => {
      const cases: [Partial<Part>, string][] = [
        [{ filename: '../../../etc/passwd.pdf' }, 'passwd.pdf'],
        [{ filename: undefined, filenameStar: "UTF-8''a%0D%0AX-Injected%3A%201.pdf" }, 'aX-Injected_ 1.pdf'],
        [{ filename: `${'Widerspruch gegen den Bescheid '.repeat(10)}.pdf` }, ''],
        [
          { filename: 'Ärztliche Bescheinigung für Jürgen Groß.pdf' },
          'Ärztliche Bescheinigung für Jürgen Groß.pdf',
        ],
      ]
      for (const [part, expected] of cases) {
        const id = await upload(citizen, part)
        await release(id)
        const res = await get(citizen, id)
        const header = res.headers.get('content-disposition') ?? ''
        expect(header).toMatch(/^[\x20-\x7e]+$/)
        const name = decodeURIComponent(header.split("filename*=UTF-8''")[1] ?? '')
        if (expected) expect(name).toBe(expected)
        else {
          expect([...name].length).toBeLessThanOrEqual(120)
          expect(name.startsWith('Widerspruch gegen den Bescheid')).toBe(true)
          expect(name.endsWith('.pdf')).toBe(true)
        }
        await res.arrayBuffer()
      }
    })

    it('deletes an unbound file with its blob, but not one that belongs to a message', async () => {
      const id = await upload(citizen)
      const [blob] = blobFiles(t)
      expect(blob).toBeDefined()
      const res = await del(citizen, id)
      expect(res.status).toBe(204)
      expect(existsSync(blob?.file ?? '')).toBe(false)
      expect((await get(citizen, id)).status).toBe(404)
      expect((await del(citizen, id)).status).toBe(404)

      const bound = await upload(citizen)
      const messageId = await insertMessage(t, citizen.citizen.id, officeId)
      expect(await t.deps.store.attachments.bindToMessage(citizen.citizen.id, messageId, [bound])).toBe(1)
      const refused = await del(citizen, bound)
      expect(refused.status).toBe(409)
      expect((await readJson(refused)).code).toBe('attachments.bound')
      expect(blobFiles(t).filter((f) => !f.file.includes(`${path.sep}.tmp${path.sep}`))).toHaveLength(1)
    })
  }),
)
