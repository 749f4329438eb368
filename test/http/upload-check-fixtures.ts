import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import PDFDocument from 'pdfkit'
import sharp from 'sharp'
import { newBlobKey } from '../../src/blobs/blobs.port.ts'
import { citizenKey, sealForCitizen } from '../../src/crypto/citizen-keys.ts'
import type { JobContext } from '../../src/queue/queue.port.ts'
import type { Attachment } from '../../src/store/attachments.types.ts'
import { checkUpload } from '../../workers/handlers/upload-check.handler.ts'
import type { TestApp } from '../helpers/app.ts'
import type { SignedIn } from '../helpers/citizen.ts'
import { readJson } from '../helpers/staff.ts'
import { multipart } from './attachments-fixtures.ts'

export const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*')

/** A real one-page PDF made by pdfkit. */
export function realPdf(text = 'Sehr geehrte Damen und Herren, anbei mein Nachweis.'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ compress: true })
    const chunks: Buffer[] = []
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
    doc.fontSize(14).text(text)
    doc.end()
  })
}

/** A hand-written PDF around the given body objects, with header and %%EOF. */
export const rawPdf = (objects: string) =>
  Buffer.from(
    `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n${objects}\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  )

/** A real JPEG made by sharp carrying EXIF with GPS coordinates. */
export const jpegWithGps = () =>
  sharp({ create: { width: 96, height: 64, channels: 3, background: '#c83' } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'Kunde' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '52/1 31/1 12/1' } })
    .toBuffer()

/** A real PNG made by sharp. */
export const realPng = () =>
  sharp({ create: { width: 80, height: 60, channels: 4, background: '#3a8c' } })
    .png()
    .toBuffer()

/** Uploads one file through the HTTP API (the real upload path) and returns its id. */
export async function upload(t: TestApp, who: SignedIn, name: string, type: string, content: Buffer) {
  const { body, contentType } = multipart([{ filename: name, type, content }])
  const res = await t.app.request('/v1/postbox/attachments', {
    method: 'POST',
    headers: who.headers({ 'Content-Type': contentType }),
    body,
  })
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`)
  return (await readJson(res)).id as string
}

/**
 * An attachment written straight into the store and blob store (what the upload route refuses
 * up front, e.g. an empty file, still reaches the check this way, as office files do).
 */
export async function storedFile(
  t: TestApp,
  who: SignedIn,
  name: string,
  declaredType: string,
  content: Buffer,
): Promise<string> {
  const id = randomUUID()
  const dek = citizenKey(t.deps.keyring, who.citizen)
  const blobKey = newBlobKey()
  const { size } = await t.deps.blobs.put(blobKey, Readable.from([content]), { dek, blobId: id })
  await t.deps.store.attachments.create({
    id,
    citizenId: who.citizen.id,
    nameEnc: sealForCitizen(dek, 'attachments', id, 'name', name),
    declaredType,
    size,
    blobKey,
    createdAt: new Date(),
  })
  return id
}

/** Binds the upload.check handler on the test app's queue (the real worker path). */
export const runChecks = (t: TestApp) =>
  t.deps.queue.work('upload.check', (payload, ctx) => checkUpload(t.deps, payload, ctx))

/** Waits until the attachment has an outcome. */
export async function settled(t: TestApp, id: string, timeoutMs = 30_000): Promise<Attachment> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const a = await t.deps.store.attachments.getForCheck(id)
    if (a && a.scanState !== 'pending') return a
    if (Date.now() > until) throw new Error(`attachment ${id} still ${a?.scanState ?? 'missing'}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Decrypted content of an attachment's current blob. */
export async function contentOf(t: TestApp, who: SignedIn, a: Attachment): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of t.deps.blobs.get(a.blobKey, {
    dek: citizenKey(t.deps.keyring, who.citizen),
    blobId: a.id,
  }))
    chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** A job context for calling the handler directly (duplicate deliveries). */
export const jobContext = (t: TestApp, attempt = 1): JobContext => ({
  id: randomUUID(),
  name: 'upload.check',
  attempt,
  signal: new AbortController().signal,
  log: t.deps.log,
})
