import { randomBytes, randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { createClamdScanner } from '../../src/scanner/clamd.ts'
import * as pgSchema from '../../src/store/pg/schema.ts'
import * as sqliteSchema from '../../src/store/sqlite/schema.ts'
import type { TestApp } from '../helpers/app.ts'
import { testClamdSocket } from '../helpers/config.ts'
import { requireClamd } from '../helpers/peers.ts'

/** Why uploads that need a live scanner are skipped here, or null when the real clamd answers. */
async function clamdUnavailableReason(): Promise<string | null> {
  try {
    await createClamdScanner({ socket: testClamdSocket }, 5000).ping()
    return null
  } catch (err) {
    return `no clamd at ${testClamdSocket} (${(err as Error).message}); start one with \`npm run clamd\``
  }
}
export const clamdReason = await clamdUnavailableReason()
if (clamdReason && requireClamd) throw new Error(`REQUIRE_CLAMD=1 but ${clamdReason}`)
if (clamdReason) console.warn(`[postkorb tests] SKIPPING upload tests that need clamd: ${clamdReason}`)

/** The app env with the real clamd, so upload's "scanner up" check passes. */
export const withClamd = (env: Record<string, string> = {}) => ({ CLAMD_SOCKET: testClamdSocket, ...env })

// Tiny but well-formed samples; the upload route checks declarations only (issue 5 checks bytes).
export const samples = {
  pdf: Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'),
  jpeg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(64), Buffer.from([0xff, 0xd9])]),
  png: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]),
}

export type Part = { name?: string; filename?: string; filenameStar?: string; type?: string; content: Buffer }

/** The bytes before and after a part's content, so big contents can be streamed between them. */
export function partFrame(part: Part, boundary: string) {
  const disposition = [`form-data; name="${part.name ?? 'file'}"`]
  if (part.filename !== undefined) disposition.push(`filename="${part.filename}"`)
  if (part.filenameStar !== undefined) disposition.push(`filename*=${part.filenameStar}`)
  const head =
    `--${boundary}\r\nContent-Disposition: ${disposition.join('; ')}\r\n` +
    (part.type ? `Content-Type: ${part.type}\r\n` : '') +
    '\r\n'
  return { head: Buffer.from(head, 'utf8'), tail: Buffer.from('\r\n') }
}

/** A complete multipart/form-data body and its Content-Type. */
export function multipart(parts: Part[]) {
  const boundary = `----postkorb${randomBytes(8).toString('hex')}`
  const pieces: Buffer[] = []
  for (const p of parts) {
    const { head, tail } = partFrame(p, boundary)
    pieces.push(head, p.content, tail)
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`))
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` }
}

/**
 * A chunked multipart body with one file of `size` bytes made on demand, counting how many bytes
 * the server actually pulled; nothing is pulled ahead of demand (highWaterMark 0).
 */
export function streamedUpload(
  size: number,
  opts: { chunk?: number; type?: string; filename?: string } = {},
) {
  const boundary = `----postkorb${randomBytes(8).toString('hex')}`
  const chunk = opts.chunk ?? 64 * 1024
  const { head, tail } = partFrame(
    {
      filename: opts.filename ?? 'gross.pdf',
      type: opts.type ?? 'application/pdf',
      content: Buffer.alloc(0),
    },
    boundary,
  )
  const end = Buffer.concat([tail, Buffer.from(`--${boundary}--\r\n`)])
  const filler = Buffer.alloc(chunk, 0x41)
  let sent = 0
  let pulled = 0
  let cancelled = false
  let headSent = false
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        let piece: Buffer
        if (!headSent) {
          headSent = true
          piece = head
        } else if (sent < size) {
          piece = filler.subarray(0, Math.min(chunk, size - sent))
          sent += piece.length
        } else {
          controller.enqueue(end)
          pulled += end.length
          controller.close()
          return
        }
        pulled += piece.length
        controller.enqueue(piece)
      },
      cancel() {
        cancelled = true
      },
    },
    { highWaterMark: 0 },
  )
  return {
    body,
    contentType: `multipart/form-data; boundary=${boundary}`,
    totalBytes: head.length + size + end.length,
    pulled: () => pulled,
    cancelled: () => cancelled,
  }
}

/** Every file under the blob root (temp files included), with its bytes. */
export function blobFiles(t: TestApp): { file: string; bytes: Buffer }[] {
  const root = path.join(t.deps.config.dataDir, 'blobs')
  const out: { file: string; bytes: Buffer }[] = []
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const full = path.join(dir, e.name)
      if (e.isDirectory()) walk(full)
      else out.push({ file: full, bytes: readFileSync(full) })
    }
  }
  walk(root)
  return out
}

/** A thread and a draft message of the citizen written through drizzle (the message API is another part's work). */
export async function insertMessage(t: TestApp, citizenId: string, officeId: string): Promise<string> {
  const threadId = randomUUID()
  const messageId = randomUUID()
  const now = new Date()
  const thread = {
    id: threadId,
    citizenId,
    officeId,
    category: 'general',
    reference: `REF-${threadId}`,
    subjectEnc: randomBytes(20),
    createdAt: now,
    updatedAt: now,
  }
  const msg = {
    id: messageId,
    threadId,
    citizenId,
    officeId,
    direction: 'in',
    kind: 'message',
    state: 'draft',
    citizenFolder: 'drafts',
    bodyEnc: randomBytes(20),
    createdAt: now,
  }
  const store = t.deps.store as import('../../src/store/create-store.ts').AnyStore
  if (store.dialect === 'sqlite') {
    await store.exec((db) => {
      db.insert(sqliteSchema.threads).values(thread).run()
      db.insert(sqliteSchema.messages).values(msg).run()
    })
  } else {
    await store.db.insert(pgSchema.threads).values(thread)
    await store.db.insert(pgSchema.messages).values(msg)
  }
  return messageId
}
