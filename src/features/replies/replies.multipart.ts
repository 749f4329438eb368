import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import busboy from 'busboy'
import { MAX_ATTACHMENTS_PER_MESSAGE } from '../../store/attachments.types.ts'
import type { OfficeReplyFile } from './office-reply.service.ts'
import { replyErrors, texts } from './replies.errors.ts'

export type ReplyForm = {
  /** The text fields, once the first file part starts (or the form ends): they must come first. */
  fields: Promise<Record<string, string>>
  /** The file parts named `file`, one at a time; the next is parsed only after the last was read. */
  files: AsyncIterable<OfficeReplyFile>
  /** Stops reading the body (e.g. unknown thread): nothing more is parsed. */
  abort(): void
}

type Limits = { maxFileBytes: number; maxFieldBytes: number }

/**
 * Streams a multipart/form-data reply through busboy: fields first, then up to ten files, each handed
 * on as a stream while it arrives, so no file is buffered. Any broken form or limit stops the body.
 */
export function openReplyForm(
  req: { contentType: string; body: ReadableStream<Uint8Array> | null },
  limits: Limits,
): ReplyForm {
  if (!req.contentType.toLowerCase().startsWith('multipart/form-data') || !req.body)
    throw replyErrors.bad_form(texts.notMultipart)
  let parser: busboy.Busboy
  try {
    parser = busboy({
      headers: { 'content-type': req.contentType },
      defParamCharset: 'utf8',
      limits: {
        files: MAX_ATTACHMENTS_PER_MESSAGE,
        fileSize: limits.maxFileBytes + 1,
        fields: 4,
        fieldSize: limits.maxFieldBytes,
        fieldNameSize: 64,
        parts: MAX_ATTACHMENTS_PER_MESSAGE + 4,
        headerPairs: 16,
      },
    })
  } catch (cause) {
    throw replyErrors.bad_form(texts.notMultipart, { cause })
  }
  const source = Readable.fromWeb(req.body as WebReadableStream<Uint8Array>)
  const fields: Record<string, string> = {}
  const pending: OfficeReplyFile[] = []
  let failure: unknown = null
  let closed = false
  let sawFile = false
  let current: Readable | null = null
  let wake: (() => void) | null = null
  let resolveFields: (f: Record<string, string>) => void = () => {}
  let rejectFields: (e: unknown) => void = () => {}
  const fieldsReady = new Promise<Record<string, string>>((resolve, reject) => {
    resolveFields = resolve
    rejectFields = reject
  })
  fieldsReady.catch(() => {})

  const notify = () => {
    const w = wake
    wake = null
    w?.()
  }
  const halt = () => {
    source.unpipe(parser)
    source.destroy()
  }
  const fail = (err: unknown) => {
    if (failure) return
    failure = err
    halt()
    current?.destroy(err as Error)
    rejectFields(err)
    notify()
  }

  parser.on('field', (name, value, info) => {
    if (sawFile) return fail(replyErrors.bad_form(texts.fieldsFirst))
    if (info.valueTruncated) return fail(replyErrors.body_too_long(texts.fieldTooLong))
    fields[name] = value
  })
  parser.on('file', (name, stream, info) => {
    stream.on('error', halt)
    if (name !== 'file') {
      stream.resume()
      return fail(replyErrors.bad_form(texts.fileField))
    }
    if (!sawFile) resolveFields({ ...fields })
    sawFile = true
    stream.on('limit', () =>
      stream.destroy(
        replyErrors.too_large(texts.tooLarge(limits.maxFileBytes), { extra: { limit: limits.maxFileBytes } }),
      ),
    )
    current = stream
    pending.push({ name: info.filename ?? '', declaredType: info.mimeType, content: stream })
    notify()
  })
  parser.on('filesLimit', () =>
    fail(replyErrors.too_many_files(texts.tooManyFiles(MAX_ATTACHMENTS_PER_MESSAGE))),
  )
  parser.on('partsLimit', () => fail(replyErrors.bad_form(texts.badForm)))
  parser.on('fieldsLimit', () => fail(replyErrors.bad_form(texts.badForm)))
  parser.on('error', (cause) => fail(replyErrors.bad_form(texts.badForm, { cause })))
  parser.on('close', () => {
    closed = true
    resolveFields({ ...fields })
    notify()
  })
  source.on('error', (cause) => fail(replyErrors.bad_form(texts.badForm, { cause })))
  source.pipe(parser)

  const iterator: AsyncIterator<OfficeReplyFile> = {
    async next() {
      for (;;) {
        if (failure) throw failure
        const file = pending.shift()
        if (file) return { done: false, value: file }
        if (closed) return { done: true, value: undefined }
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    },
    async return() {
      if (!closed && !failure) fail(replyErrors.bad_form(texts.badForm))
      return { done: true, value: undefined }
    },
  }
  return {
    fields: fieldsReady,
    files: { [Symbol.asyncIterator]: () => iterator },
    abort: () => {
      if (!closed && !failure) fail(replyErrors.bad_form(texts.badForm))
    },
  }
}
