import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_UNSENT_UPLOADS } from '../../src/features/attachments/attachments.service.ts'
import type { AnyStore } from '../../src/store/create-store.ts'
import { countRows } from '../contract/store.contract.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { markersFound, storedBytes } from '../helpers/raw-store.ts'
import { createOffice, readJson } from '../helpers/staff.ts'
import {
  blobFiles,
  clamdReason,
  multipart,
  type Part,
  samples,
  streamedUpload,
  withClamd,
} from './attachments-fixtures.ts'

const KiB = 1024
const MiB = 1024 * KiB

describeBackends('attachment upload', (kind) => {
  let t: TestApp | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  async function setUp(env: Record<string, string> = withClamd()) {
    t = await makeTestApp(kind, env)
    const office = await createOffice(t.deps)
    const citizen = await createSignedInCitizen(t.deps, {
      level: 'code_verified',
      officeId: office.id,
      customerNumber: '123D456789',
    })
    return { t, citizen }
  }
  const headersFor = (citizen: SignedIn, contentType: string) =>
    citizen.headers({ 'Content-Type': contentType })
  const post = (app: TestApp, citizen: SignedIn, parts: Part[]) => {
    const { body, contentType } = multipart(parts)
    return app.app.request('/v1/postbox/attachments', {
      method: 'POST',
      headers: headersFor(citizen, contentType),
      body,
    })
  }
  const rows = async (app: TestApp) => storedBytes(app.deps.config.db)
  const attachmentRows = (app: TestApp) => countRows(app.deps.store as AnyStore, 'attachments')

  describe.skipIf(clamdReason !== null)('with the scanner up', () => {
    it('accepts a small PDF, JPEG and PNG, each as pending with its size', async () => {
      const { t, citizen } = await setUp()
      const cases: Part[] = [
        { filename: 'Bescheid.pdf', type: 'application/pdf', content: samples.pdf },
        { filename: 'Foto.JPG', type: 'image/jpeg', content: samples.jpeg },
        { filename: 'scan.jpeg', type: 'image/jpeg', content: samples.jpeg },
        { filename: 'Beleg.png', type: 'image/png', content: samples.png },
      ]
      for (const part of cases) {
        const res = await post(t, citizen, [part])
        expect(res.status).toBe(201)
        const body = await readJson(res)
        expect(body).toEqual({ id: expect.any(String), state: 'pending', size: part.content.length })
        const row = await t.deps.store.attachments.get(citizen.citizen.id, body.id)
        expect(row).toMatchObject({ scanState: 'pending', messageId: null, size: part.content.length })
        expect(row?.declaredType).toBe(part.type)
      }
      expect(blobFiles(t).filter((f) => !f.file.includes('.tmp'))).toHaveLength(cases.length)
    })

    it('keeps the content out of the blob files and the file name out of the database, the WAL and the logs', async () => {
      const { t, citizen } = await setUp()
      const contentMarker = `INHALTMARKER${randomBytes(6).toString('hex')}`
      const nameMarker = `NAMEMARKER${randomBytes(6).toString('hex')}`
      const content = Buffer.concat([samples.pdf, Buffer.from(contentMarker.repeat(50))])
      const res = await post(t, citizen, [
        { filename: `Kontoauszug ${nameMarker}.pdf`, type: 'application/pdf', content },
      ])
      expect(res.status).toBe(201)
      const blobs = blobFiles(t)
      expect(blobs).toHaveLength(1)
      expect(blobs[0]?.bytes.includes(contentMarker)).toBe(false)
      expect(blobs[0]?.bytes.includes('%PDF')).toBe(false)
      const stored = await rows(t)
      expect(markersFound(stored, { name: nameMarker, content: contentMarker })).toEqual([])
      expect(t.logs.join('\n')).not.toContain(nameMarker)
      expect(t.logs.join('\n')).toContain('attachment uploaded')
    })

    it('takes a file larger than the app-wide 1 MiB body limit', async () => {
      const { t, citizen } = await setUp()
      const upload = streamedUpload(3 * MiB)
      const res = await t.app.request('/v1/postbox/attachments', {
        method: 'POST',
        headers: headersFor(citizen, upload.contentType),
        body: upload.body,
        duplex: 'half',
      } as RequestInit)
      expect(res.status).toBe(201)
      expect((await readJson(res)).size).toBe(3 * MiB)
    })

    it('answers 413 for a chunked upload over the limit after reading far less than the body, leaving no row and no blob', async () => {
      const { t, citizen } = await setUp(withClamd({ MAX_UPLOAD_BYTES: String(256 * KiB) }))
      const upload = streamedUpload(64 * MiB, { chunk: 16 * KiB })
      const res = await t.app.request('/v1/postbox/attachments', {
        method: 'POST',
        headers: headersFor(citizen, upload.contentType),
        body: upload.body,
        duplex: 'half',
      } as RequestInit)
      expect(res.status).toBe(413)
      const problem = await readJson(res)
      expect(problem).toMatchObject({ status: 413, code: 'attachments.too_large', limit: 256 * KiB })
      expect(problem.detail).toMatch(/^Die Datei ist größer als 0.3 MiB\. \/ The file is larger/)
      expect(upload.pulled()).toBeLessThan(2 * MiB)
      expect(upload.pulled()).toBeLessThan(upload.totalBytes / 20)
      expect(upload.cancelled()).toBe(true)
      expect(blobFiles(t)).toEqual([])
      expect(await attachmentRows(t)).toBe(0)
    })

    it('answers 413 for a declared Content-Length over the limit without reading the body', async () => {
      const { t, citizen } = await setUp(withClamd({ MAX_UPLOAD_BYTES: String(256 * KiB) }))
      const upload = streamedUpload(8 * MiB)
      const res = await t.app.request('/v1/postbox/attachments', {
        method: 'POST',
        headers: { ...headersFor(citizen, upload.contentType), 'Content-Length': String(upload.totalBytes) },
        body: upload.body,
        duplex: 'half',
      } as RequestInit)
      expect(res.status).toBe(413)
      expect((await readJson(res)).code).toBe('attachments.too_large')
      expect(upload.pulled()).toBe(0)
    })

    it('refuses declared types, extensions and combinations outside PDF, JPEG and PNG with a clear text', async () => {
      const { t, citizen } = await setUp()
      const cases: [Part, number, string][] = [
        [
          { filename: 'brief.pdf', type: 'text/html', content: samples.pdf },
          415,
          'attachments.unsupported_type',
        ],
        [
          { filename: 'bild.gif', type: 'image/gif', content: samples.png },
          415,
          'attachments.unsupported_type',
        ],
        [{ filename: 'brief.pdf', content: samples.pdf }, 415, 'attachments.unsupported_type'],
        [
          { filename: 'tool.exe', type: 'application/pdf', content: samples.pdf },
          422,
          'attachments.bad_extension',
        ],
        [
          { filename: 'ohne-endung', type: 'application/pdf', content: samples.pdf },
          422,
          'attachments.bad_extension',
        ],
        [
          { filename: 'bild.png', type: 'application/pdf', content: samples.png },
          422,
          'attachments.type_mismatch',
        ],
      ]
      for (const [part, status, code] of cases) {
        const res = await post(t, citizen, [part])
        expect(res.status, `${part.filename} as ${part.type}`).toBe(status)
        const problem = await readJson(res)
        expect(problem.code).toBe(code)
        expect(problem.detail).toMatch(/ \/ /)
      }
      expect(blobFiles(t)).toEqual([])
    })

    it('refuses a second file, a form without a file, an empty file and a body that is not multipart', async () => {
      const { t, citizen } = await setUp()
      const pdf = { filename: 'a.pdf', type: 'application/pdf', content: samples.pdf }
      const two = await post(t, citizen, [pdf, { ...pdf, filename: 'b.pdf' }])
      expect(two.status).toBe(422)
      expect((await readJson(two)).detail).toMatch(/genau eine Datei/)
      const none = await post(t, citizen, [{ name: 'note', content: Buffer.from('hallo') }])
      expect(none.status).toBe(422)
      const wrongField = await post(t, citizen, [{ ...pdf, name: 'upload' }])
      expect(wrongField.status).toBe(422)
      const empty = await post(t, citizen, [{ ...pdf, content: Buffer.alloc(0) }])
      expect(empty.status).toBe(422)
      expect((await readJson(empty)).code).toBe('attachments.empty')
      const json = await t.app.request('/v1/postbox/attachments', {
        method: 'POST',
        headers: citizen.headers(),
        body: JSON.stringify({ file: 'x' }),
      })
      expect(json.status).toBe(415)
      expect(blobFiles(t)).toEqual([])
      expect(await attachmentRows(t)).toBe(0)
    })
    it('refuses more uploads once a citizen has 20 files that belong to no message, and takes them again after a delete', async () => {
      const { t, citizen } = await setUp(withClamd())
      const ids: string[] = []
      for (let i = 0; i < MAX_UNSENT_UPLOADS; i++) {
        const res = await post(t, citizen, [
          { filename: `b${i}.pdf`, type: 'application/pdf', content: samples.pdf },
        ])
        expect(res.status).toBe(201)
        ids.push((await readJson(res)).id)
      }
      const refused = await post(t, citizen, [
        { filename: 'x.pdf', type: 'application/pdf', content: samples.pdf },
      ])
      expect(refused.status).toBe(409)
      expect((await readJson(refused)).code).toBe('attachments.too_many_unsent')
      const other = await createSignedInCitizen(t.deps, { level: 'code_verified' })
      expect(
        (await post(t, other, [{ filename: 'x.pdf', type: 'application/pdf', content: samples.pdf }])).status,
      ).toBe(201)
      const del = await t.app.request(`/v1/postbox/attachments/${ids[0]}`, {
        method: 'DELETE',
        headers: citizen.headers(),
      })
      expect(del.status).toBe(204)
      expect(
        (await post(t, citizen, [{ filename: 'x.pdf', type: 'application/pdf', content: samples.pdf }]))
          .status,
      ).toBe(201)
    })
  })

  it('answers 503 "virus scanner unavailable" before reading the body when clamd is unreachable, writing no blob', async () => {
    const { t, citizen } = await setUp({ CLAMD_SOCKET: '/nonexistent/postkorb/clamd.sock' })
    const upload = streamedUpload(4 * MiB)
    const res = await t.app.request('/v1/postbox/attachments', {
      method: 'POST',
      headers: headersFor(citizen, upload.contentType),
      body: upload.body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(503)
    const problem = await readJson(res)
    expect(problem).toMatchObject({
      code: 'attachments.scanner_unavailable',
      title: 'Virenscanner nicht verfügbar / virus scanner unavailable',
    })
    expect(upload.pulled()).toBe(0)
    expect(blobFiles(t)).toEqual([])
  })

  it('lets only a signed-in, activated citizen upload, with the CSRF token in the header', async () => {
    const { t, citizen } = await setUp({ CLAMD_SOCKET: '/nonexistent/postkorb/clamd.sock' })
    const { body, contentType } = multipart([
      { filename: 'a.pdf', type: 'application/pdf', content: samples.pdf },
    ])
    const anonymous = await t.app.request('/v1/postbox/attachments', {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
    })
    expect(anonymous.status).toBe(401)
    const registered = await createSignedInCitizen(t.deps, { level: 'registered' })
    const early = await t.app.request('/v1/postbox/attachments', {
      method: 'POST',
      headers: headersFor(registered, contentType),
      body,
    })
    expect(early.status).toBe(403)
    expect((await readJson(early)).code).toBe('identity.not_activated')
    const noHeader = await t.app.request('/v1/postbox/attachments', {
      method: 'POST',
      headers: { Cookie: citizen.cookie, 'Content-Type': contentType },
      body,
    })
    expect(noHeader.status).toBe(403)
    expect((await readJson(noHeader)).code).toBe('auth.csrf')
  })
})
