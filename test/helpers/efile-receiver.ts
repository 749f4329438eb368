import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import busboy from 'busboy'
import { verifyEfileSignature } from '../../src/features/delivery/efile-signature.ts'

/** One part of a received multipart body. */
export type ReceivedPart = { name: string; filename: string | null; type: string; data: Buffer }

/** A document the receiver filed (once per Idempotency-Key). */
export type FiledDocument = {
  documentId: string
  idempotencyKey: string
  envelope: Record<string, unknown>
  parts: ReceivedPart[]
}

/** What the receiver answers one request with, before or after filing it. */
export type Script = { status: number; file?: boolean; body?: string } | { hang: true }

export type EfileReceiver = {
  url: string
  /** Every request that reached the server, with whether its signature verified. */
  requests: { idempotencyKey: string | null; signatureOk: boolean; status: number }[]
  /** Filed documents, one per Idempotency-Key. */
  documents: Map<string, FiledDocument>
  /** Answers for the next requests, in order; after them every request is filed with 201. */
  script(...answers: Script[]): void
  close(): Promise<void>
}

/**
 * A real e-file system stand-in on 127.0.0.1: verifies `Postkorb-Signature` with the office secret,
 * parses the multipart body with busboy and files each Idempotency-Key once (a repeat gets the same
 * document id back). Scripted answers let a test make it fail (503, 400) or hang.
 */
export async function startEfileReceiver(secret: () => Buffer): Promise<EfileReceiver> {
  const requests: EfileReceiver['requests'] = []
  const documents = new Map<string, FiledDocument>()
  const answers: Script[] = []
  const hanging = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      res.writeHead(500).end(err.message)
    })
  })
  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    const key = req.headers['idempotency-key']
    const idempotencyKey = typeof key === 'string' ? key : null
    const signatureOk = verifyEfileSignature(
      secret(),
      req.headers['postkorb-signature'] as string | undefined,
      body,
      new Date(),
      300,
    )
    const answer = answers.shift() ?? { status: 201, file: true }
    if ('hang' in answer) {
      requests.push({ idempotencyKey, signatureOk, status: 0 })
      hanging.add(res)
      return
    }
    if (!signatureOk || !idempotencyKey) {
      requests.push({ idempotencyKey, signatureOk, status: 401 })
      res.writeHead(401).end('bad signature')
      return
    }
    const fileIt = answer.file ?? (answer.status >= 200 && answer.status < 300)
    let doc = documents.get(idempotencyKey)
    if (fileIt && !doc) {
      const parts = await parseMultipart(req.headers['content-type'] ?? '', body)
      const envelope = JSON.parse(parts.find((p) => p.name === 'envelope')?.data.toString('utf8') ?? '{}')
      doc = { documentId: `EA-${randomUUID().slice(0, 8)}`, idempotencyKey, envelope, parts }
      documents.set(idempotencyKey, doc)
    }
    requests.push({ idempotencyKey, signatureOk, status: answer.status })
    const payload = answer.body ?? (doc ? JSON.stringify({ documentId: doc.documentId }) : '{"error":"nope"}')
    res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(payload)
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/documents`,
    requests,
    documents,
    script: (...a) => void answers.push(...a),
    close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function parseMultipart(contentType: string, body: Buffer): Promise<ReceivedPart[]> {
  return new Promise((resolve, reject) => {
    const parts: ReceivedPart[] = []
    const bb = busboy({ headers: { 'content-type': contentType } })
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () =>
        parts.push({
          name,
          filename: info.filename ?? null,
          type: info.mimeType,
          data: Buffer.concat(chunks),
        }),
      )
    })
    bb.on('field', (name, value, info) =>
      parts.push({ name, filename: null, type: info.mimeType, data: Buffer.from(value) }),
    )
    bb.on('close', () => resolve(parts))
    bb.on('error', reject)
    Readable.from([body]).pipe(bb)
  })
}
