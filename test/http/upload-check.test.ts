import { deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { findActiveContent } from '../../src/features/upload-check/pdf-active-content.ts'
import { purgeQuarantine, requeueFailedScans } from '../../src/features/upload-check/quarantine.ts'
import { checkAttachment, markScanFailed } from '../../src/features/upload-check/upload-check.service.ts'
import type { Office } from '../../src/store/store.types.ts'
import { checkUpload } from '../../workers/handlers/upload-check.handler.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createOffice, readJson } from '../helpers/staff.ts'
import { clamdReason, withClamd } from './attachments-fixtures.ts'
import { apiFor, citizenOf, officeMessage } from './postbox-fixtures.ts'
import {
  contentOf,
  EICAR,
  jobContext,
  jpegWithGps,
  rawPdf,
  realPdf,
  realPng,
  runChecks,
  settled,
  storedFile,
  upload,
} from './upload-check-fixtures.ts'

const PDF = 'application/pdf'

describeBackends('upload check with the real clamd', (kind) => {
  let t: TestApp
  let office: Office
  beforeAll(async () => {
    if (clamdReason) return
    t = await makeTestApp(kind, withClamd())
    office = await createOffice(t.deps)
    await runChecks(t)
  })
  afterAll(() => t?.close())

  // Routings so far: the check of a message's last file routes it in its own transaction (one
  // message.routed audit entry each); a message.route job is only the fallback when that fails.
  const routed = async () => {
    const c = await t.deps.queue.counts('message.route')
    const entries = await t.deps.store.audit.list(0, 10_000)
    return entries.filter((e) => e.action === 'message.routed').length + c.waiting + c.active + c.failed
  }
  /** Sends one message with the given files (stored through the upload route unless `stored`). */
  async function sendFiles(files: { name: string; type: string; content: Buffer; stored?: boolean }[]) {
    const who = await citizenOf(t, office)
    const ids: string[] = []
    for (const f of files)
      ids.push(
        f.stored
          ? await storedFile(t, who, f.name, f.type, f.content)
          : await upload(t, who, f.name, f.type, f.content),
      )
    const sent = await apiFor(t, who).send({ subject: 'Nachweise', body: 'anbei', attachmentIds: ids })
    return { who, ids, sent }
  }
  async function checkOne(name: string, type: string, content: Buffer, stored = false) {
    const { who, ids, sent } = await sendFiles([{ name, type, content, stored }])
    const id = ids[0] as string
    return { who, sent, a: await settled(t, id) }
  }

  describe.skipIf(clamdReason !== null)('clean files pass', () => {
    it('releases a real PDF unchanged and routes the message once', async () => {
      const before = await routed()
      const pdf = await realPdf()
      const { who, a } = await checkOne('Nachweis.pdf', PDF, pdf)
      expect(a).toMatchObject({ scanState: 'clean', detectedType: PDF, scanDetail: null, size: pdf.length })
      expect(await contentOf(t, who, a)).toEqual(pdf)
      const res = await t.app.request(`/v1/postbox/attachments/${a.id}`, { headers: who.headers() })
      expect(res.status).toBe(200)
      expect(Buffer.from(await res.arrayBuffer())).toEqual(pdf)
      expect(await routed()).toBe(before + 1)
    })

    it('re-encodes a JPEG: EXIF with GPS is gone, size and blob follow the new content, the old blob is deleted', async () => {
      const jpeg = await jpegWithGps()
      expect((await sharp(jpeg).metadata()).exif).toBeDefined()
      const who = await citizenOf(t, office)
      const id = await upload(t, who, 'Foto.JPG', 'image/jpeg', jpeg)
      const uploaded = await t.deps.store.attachments.getForCheck(id)
      await apiFor(t, who).send({ subject: 'Foto', body: 'anbei', attachmentIds: [id] })
      const a = await settled(t, id)
      expect(a).toMatchObject({ scanState: 'clean', detectedType: 'image/jpeg' })
      expect(a.blobKey).not.toBe(uploaded?.blobKey)
      // The worker deletes the old blob right after the outcome commits, which settled() already saw.
      await vi.waitFor(
        async () => expect(await t.deps.blobs.exists(uploaded?.blobKey as string)).toBe(false),
        { timeout: 5000, interval: 20 },
      )
      const released = await contentOf(t, who, a)
      expect(a.size).toBe(released.length)
      const meta = await sharp(released).metadata()
      expect(meta).toMatchObject({ format: 'jpeg', width: 96, height: 64 })
      expect(meta.exif).toBeUndefined()
      expect(released.includes(Buffer.from('GPS'))).toBe(false)
    })

    it('re-encodes a PNG and drops what trails its IEND chunk', async () => {
      const png = Buffer.concat([await realPng(), Buffer.from('trailing bytes after IEND')])
      const { who, a } = await checkOne('scan.png', 'image/png', png)
      expect(a).toMatchObject({ scanState: 'clean', detectedType: 'image/png' })
      const released = await contentOf(t, who, a)
      expect(released.includes(Buffer.from('trailing bytes'))).toBe(false)
      expect((await sharp(released).metadata()).format).toBe('png')
    })
  })

  describe.skipIf(clamdReason !== null)('infected files', () => {
    it('finds the EICAR string uploaded as .pdf', async () => {
      const { a } = await checkOne('rechnung.pdf', PDF, EICAR)
      expect(a.scanState).toBe('infected')
      expect(a.scanDetail).toMatch(/EICAR/)
    })

    it('finds EICAR inside a well-formed PDF', async () => {
      const { a } = await checkOne('brief.pdf', PDF, rawPdf(`3 0 obj (${EICAR.toString('latin1')}) endobj`))
      expect(a.scanState).toBe('infected')
    })

    it("finds EICAR in a PNG's trailing bytes (clamd sees the original, not the re-encoded image)", async () => {
      const { who, a } = await checkOne('bild.png', 'image/png', Buffer.concat([await realPng(), EICAR]))
      expect(a.scanState).toBe('infected')
      expect(a.quarantinedAt).toBeInstanceOf(Date)
      const res = await t.app.request(`/v1/postbox/attachments/${a.id}`, { headers: who.headers() })
      expect(res.status).toBe(409)
    })
  })

  describe.skipIf(clamdReason !== null)('refused by type, with a reason', () => {
    const cases: [
      string,
      () => Promise<{ name: string; type: string; content: Buffer; stored?: boolean }>,
      string,
      string | null,
    ][] = [
      [
        'a PNG declared as PDF',
        async () => ({ name: 'a.pdf', type: PDF, content: await realPng() }),
        'type_mismatch',
        'image/png',
      ],
      [
        'an HTML file named .pdf',
        async () => ({
          name: 'b.pdf',
          type: PDF,
          content: Buffer.from('<!doctype html><html><script>alert(1)</script></html>'),
        }),
        'markup',
        'text/html',
      ],
      [
        'a zip named .pdf',
        async () => ({
          name: 'c.pdf',
          type: PDF,
          content: Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(120, 1)]),
        }),
        'not_allowed',
        'application/zip',
      ],
      [
        'an empty file',
        async () => ({ name: 'd.pdf', type: PDF, content: Buffer.alloc(0), stored: true }),
        'empty',
        null,
      ],
      [
        'a truncated PDF',
        async () => {
          const pdf = await realPdf()
          return { name: 'e.pdf', type: PDF, content: pdf.subarray(0, Math.floor(pdf.length / 2)) }
        },
        'pdf_truncated',
        PDF,
      ],
      [
        'a PDF with a plain /JavaScript action',
        async () => ({
          name: 'k.pdf',
          type: PDF,
          content: rawPdf('3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj'),
        }),
        'pdf_active_content:JavaScript',
        PDF,
      ],
      [
        'a PDF with /Launch',
        async () => ({
          name: 'g.pdf',
          type: PDF,
          content: rawPdf('3 0 obj << /S /Launch /F (cmd.exe) >> endobj'),
        }),
        'pdf_active_content:Launch',
        PDF,
      ],
      [
        'a PDF hiding /OpenAction in a compressed object stream',
        async () => {
          const hidden = deflateSync(Buffer.from('<< /Type /Catalog /OpenAction 4 0 R >>'))
          const obj = `3 0 obj << /Type /ObjStm /Filter /FlateDecode /Length ${hidden.length} >>\nstream\n${hidden.toString('latin1')}\nendstream\nendobj`
          return { name: 'h.pdf', type: PDF, content: rawPdf(obj) }
        },
        'pdf_active_content:OpenAction',
        PDF,
      ],
      [
        'a JPEG named .png',
        async () => ({ name: 'i.png', type: 'image/png', content: await jpegWithGps() }),
        'type_mismatch',
        'image/jpeg',
      ],
      [
        'an unidentifiable binary named .pdf',
        async () => ({
          name: 'j.pdf',
          type: PDF,
          content: Buffer.from([0, 1, 2, 3, 250, 251, 252, 253, 9, 9, 9]),
        }),
        'pdf_no_header',
        null,
      ],
    ]
    it.each(cases)('refuses %s', async (_title, make, detail, detectedType) => {
      const f = await make()
      const { a } = await checkOne(f.name, f.type, f.content, f.stored)
      expect(a).toMatchObject({ scanState: 'rejected_type', scanDetail: detail, detectedType })
      expect(a.quarantinedAt).toBeInstanceOf(Date)
    })

    it('refuses a PDF with /J#61vaScript: clamd flags the obfuscated name, the type check alone refuses it too', async () => {
      const pdf = rawPdf('3 0 obj << /S /J#61vaScript /J#53 (app.alert(1)) >> endobj')
      expect(findActiveContent(pdf)).toEqual({ name: 'JavaScript' })
      const { a } = await checkOne('f.pdf', PDF, pdf)
      expect(a).toMatchObject({
        scanState: 'infected',
        scanDetail: expect.stringMatching(/^Heuristics\.PDF\./),
      })
    })

    it("refuses a file longer than clamd's StreamMaxLength (25M here) instead of passing it unscanned", async () => {
      const { a } = await checkOne('riesig.pdf', PDF, Buffer.alloc(26 * 1024 * 1024, 0x62), true)
      expect(a).toMatchObject({ scanState: 'rejected_type', scanDetail: 'too_large_for_scanner' })
    })

    it('refuses an image that declares absurd pixel dimensions before decoding it', async () => {
      const png = await realPng()
      png.writeUInt32BE(100_000, 16)
      png.writeUInt32BE(100_000, 20)
      const { a } = await checkOne('riesig.png', 'image/png', png)
      expect(a).toMatchObject({ scanState: 'rejected_type', scanDetail: 'image_too_large:100000x100000' })
    })

    it('shows the citizen which file was refused and why, in German and English', async () => {
      const { who, sent, ids } = await sendFiles([
        { name: 'gut.pdf', type: PDF, content: await realPdf() },
        { name: 'virus.pdf', type: PDF, content: EICAR },
        { name: 'falsch.pdf', type: PDF, content: await realPng() },
      ])
      for (const id of ids) await settled(t, id)
      const thread = await readJson(await apiFor(t, who).call('GET', `/v1/postbox/threads/${sent.threadId}`))
      const byName = Object.fromEntries(
        thread.messages[0].attachments.map((x: { name: string }) => [x.name, x]),
      )
      expect(byName['gut.pdf']).toMatchObject({ state: 'clean', refusal: null })
      expect(byName['virus.pdf'].refusal).toMatchObject({
        code: 'infected',
        de: expect.stringMatching(/Schadsoftware/),
        en: expect.stringMatching(/Malware/),
      })
      expect(byName['falsch.pdf'].refusal).toMatchObject({
        code: 'type_mismatch',
        de: expect.stringMatching(/passt nicht/),
        en: expect.stringMatching(/does not match/),
      })
    })
  })

  describe.skipIf(clamdReason !== null)('follow-up jobs, exactly once', () => {
    it('routes a message only after its last attachment has an outcome, once', async () => {
      const before = await routed()
      const { ids } = await sendFiles([
        { name: 'a.pdf', type: PDF, content: await realPdf() },
        { name: 'b.pdf', type: PDF, content: EICAR },
        { name: 'c.png', type: 'image/png', content: await realPng() },
      ])
      for (const id of ids) await settled(t, id)
      expect(await routed()).toBe(before + 1)
    })

    it('a job delivered twice (and checks racing it) leaves one outcome and one routing', async () => {
      const before = await routed()
      const { ids } = await sendFiles([{ name: 'x.pdf', type: PDF, content: await realPdf(), stored: true }])
      const id = ids[0] as string
      const racing = await Promise.all([checkAttachment(t.deps, id), checkAttachment(t.deps, id)])
      const a = await settled(t, id)
      expect(racing.map((r) => r?.state)).toEqual(['clean', 'clean'])
      await t.deps.queue.send('upload.check', { attachmentId: id })
      await waitForIdle()
      expect(await t.deps.store.attachments.getForCheck(id)).toEqual(a)
      expect(await routed()).toBe(before + 1)
    })

    it('routing that fails in the check transaction is undone to its savepoint: the outcome stands, a message.route job takes over', async () => {
      const broken = await createOffice(t.deps)
      // A queue destination without a queue name (the API refuses it): the delivery insert fails after
      // the route was recorded, so the savepoint has something to undo.
      const rule = {
        id: 'r-broken',
        name: 'kaputt',
        match: {},
        destinations: [{ kind: 'queue' }],
        isDefault: true,
      }
      await t.deps.store.routing.setRules(broken.id, [rule as never], null)
      const jobs = async () => {
        const c = await t.deps.queue.counts('message.route')
        return c.waiting + c.active + c.completed + c.failed
      }
      const jobsBefore = await jobs()
      const who = await citizenOf(t, broken)
      const id = await storedFile(t, who, 'x.pdf', PDF, await realPdf())
      const sent = await apiFor(t, who).send({ subject: 'Nachweise', body: 'anbei', attachmentIds: [id] })
      expect((await settled(t, id)).scanState).toBe('clean')
      const message = await t.deps.store.routing.getMessage(sent.messageId)
      expect(message).toMatchObject({ state: 'submitted', routeRuleId: null })
      expect(await t.deps.store.deliveries.listForMessage(sent.messageId)).toEqual([])
      await vi.waitFor(async () => expect(await jobs()).toBe(jobsBefore + 1), { timeout: 10_000 })
    })

    it('notifies the citizen once for an office message with files, and not at all for a notice', async () => {
      const notified = async () => {
        const c = await t.deps.queue.counts('notify.citizen')
        return c.waiting + c.active + c.completed
      }
      const { who, sent } = await sendFiles([])
      const before = await notified()
      for (const kind of ['message', 'notice'] as const) {
        const messageId = await officeMessage(t, who, sent.threadId, { kind })
        const files = [
          await storedFile(t, who, 'Bescheid.pdf', PDF, await realPdf()),
          await storedFile(t, who, 'Anlage.png', 'image/png', await realPng()),
        ]
        await t.deps.store.transaction(async (tx) => {
          await tx.attachments.bindToMessage(who.citizen.id, messageId, files)
          for (const attachmentId of files) await t.deps.queue.send('upload.check', { attachmentId }, { tx })
        })
        for (const id of files) expect((await settled(t, id)).scanState).toBe('clean')
      }
      expect(await notified()).toBe(before + 1)
    })
  })

  describe.skipIf(clamdReason !== null)('quarantine and failed scans', () => {
    it('purges quarantined blobs after QUARANTINE_RETENTION_DAYS and keeps the row and its reason', async () => {
      const { a } = await checkOne('virus.pdf', PDF, EICAR)
      expect(await t.deps.blobs.exists(a.blobKey)).toBe(true)
      expect(await purgeQuarantine(t.deps)).toBe(0)
      const later = new Date(Date.now() + 31 * 86_400_000)
      expect(await purgeQuarantine({ ...t.deps, clock: () => later })).toBeGreaterThanOrEqual(1)
      expect(await t.deps.blobs.exists(a.blobKey)).toBe(false)
      expect(await t.deps.store.attachments.getForCheck(a.id)).toMatchObject({
        scanState: 'infected',
        purgedAt: later,
      })
    })

    it('a failure no retry can fix (the blob is gone) makes the file scan_failed at once, with an alert', async () => {
      const who = await citizenOf(t, office)
      const id = await storedFile(t, who, 'weg.pdf', PDF, await realPdf())
      const a = await t.deps.store.attachments.getForCheck(id)
      await t.deps.blobs.delete(a?.blobKey as string)
      await checkUpload(t.deps, { attachmentId: id }, jobContext(t, 1))
      expect(await t.deps.store.attachments.getForCheck(id)).toMatchObject({
        scanState: 'scan_failed',
        scanDetail: 'blobs.not_found',
      })
      expect(t.logs.some((l) => l.includes('"alert":"upload_scan_failed"') && l.includes(id))).toBe(true)
      // Out of scan_failed without a new job, so the readiness test below starts from no failed scans.
      expect(await t.deps.store.uploadChecks.resetFailed(id)).toBe(true)
      await t.deps.store.uploadChecks.recordOutcome(id, { state: 'rejected_type', detail: 'test cleanup' })
    })

    it('/readyz reports a scan_failed file as failedScans (staying ready) until `scans requeue` checks it again', async () => {
      const before = await routed()
      const who = await citizenOf(t, office)
      const id = await storedFile(t, who, 'spaeter.pdf', PDF, await realPdf())
      await markScanFailed(t.deps, id, 'scanner.unreachable')
      expect(await t.deps.store.attachments.getForCheck(id)).toMatchObject({ scanState: 'scan_failed' })
      const waiting = await t.app.request('/readyz')
      expect(waiting.status).toBe(200)
      expect(await readJson(waiting)).toMatchObject({ checks: { scanner: 'ok' }, failedScans: 1 })
      expect(await requeueFailedScans(t.deps)).toBe(1)
      expect((await settled(t, id)).scanState).toBe('clean')
      const after = await t.app.request('/readyz')
      expect(after.status).toBe(200)
      expect((await readJson(after)).failedScans).toBe(0)
      expect(await routed()).toBe(before)
    })
  })

  async function waitForIdle() {
    for (let i = 0; i < 200; i++) {
      const c = await t.deps.queue.counts('upload.check')
      if (c.waiting === 0 && c.active === 0) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('upload.check jobs did not finish')
  }
})
