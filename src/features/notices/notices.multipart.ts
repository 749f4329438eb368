import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import busboy from 'busboy'
import { noticeErrors, texts } from './notices.errors.ts'

export type NoticeForm<T> = { fields: Record<string, string>; file: T | null }

/**
 * Reads a multipart notice: small text fields (the "notice" JSON) and at most one part named
 * "file", handed to onFile while it streams. Any failure stops reading the body at once and undoes
 * what onFile stored, so nothing outlives a refused request.
 */
export function receiveNoticeForm<T>(
  req: { contentType: string; body: ReadableStream<Uint8Array> | null },
  opts: {
    maxFileBytes: number
    onFile: (file: { filename: string; mimeType: string; stream: Readable }) => Promise<T>
    undo: (stored: T) => Promise<void>
  },
): Promise<NoticeForm<T>> {
  if (!req.body) return Promise.reject(noticeErrors.bad_form(texts.badForm))
  let parser: busboy.Busboy
  try {
    parser = busboy({
      headers: { 'content-type': req.contentType },
      defParamCharset: 'utf8',
      limits: { files: 1, fileSize: opts.maxFileBytes + 1, fields: 4, fieldSize: 64 * 1024, parts: 5 },
    })
  } catch (cause) {
    return Promise.reject(noticeErrors.bad_form(texts.badForm, { cause }))
  }
  const source = Readable.fromWeb(req.body as WebReadableStream<Uint8Array>)
  const fields: Record<string, string> = {}
  return new Promise((resolve, reject) => {
    let settled = false
    let work: Promise<T> | undefined
    let stored: { value: T } | undefined
    let formDone = false
    const fail = (err: unknown) => {
      if (settled) return
      settled = true
      source.unpipe(parser)
      source.destroy()
      const cleanup = work ? work.then(opts.undo, () => {}) : Promise.resolve()
      cleanup.catch(() => {}).finally(() => reject(err))
    }
    const finish = () => {
      if (settled || !formDone || (work && !stored)) return
      settled = true
      resolve({ fields, file: stored ? stored.value : null })
    }
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(noticeErrors.bad_form(texts.badForm))
      fields[name] = value
    })
    parser.on('file', (name, stream, info) => {
      stream.on('error', () => source.destroy())
      if (name !== 'file' || work) {
        stream.resume()
        return fail(noticeErrors.bad_form(texts.badForm))
      }
      stream.on('limit', () => fail(noticeErrors.too_large(texts.tooLarge(opts.maxFileBytes))))
      work = opts.onFile({ filename: info.filename ?? '', mimeType: info.mimeType, stream })
      work.then((value) => {
        stored = { value }
        finish()
      }, fail)
    })
    for (const limit of ['filesLimit', 'partsLimit', 'fieldsLimit'] as const)
      parser.on(limit, () => fail(noticeErrors.bad_form(texts.badForm)))
    parser.on('error', (cause) => fail(noticeErrors.bad_form(texts.badForm, { cause })))
    parser.on('close', () => {
      formDone = true
      finish()
    })
    source.on('error', (cause) => fail(noticeErrors.bad_form(texts.badForm, { cause })))
    source.pipe(parser)
  })
}
