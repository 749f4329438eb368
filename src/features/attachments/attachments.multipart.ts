import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import busboy from 'busboy'
import { attachmentErrors, texts } from './attachments.errors.ts'

/** The one file part of an upload, as the client declared it; the content is a stream read once. */
export type IncomingFile = { filename: string; mimeType: string; stream: Readable }

export type MultipartRequest = {
  contentType: string
  body: ReadableStream<Uint8Array> | null
}

type Options<T> = {
  /** The file's byte limit; busboy lets one more byte through so the consumer sees the overflow. */
  maxFileBytes: number
  /** Stores the file; runs while the body streams in. */
  onFile: (file: IncomingFile) => Promise<T>
  /** Reverts what onFile did when the rest of the form turns out bad. */
  undo: (result: T) => Promise<void>
}

/**
 * Streams a multipart/form-data body through busboy and hands its single part named `file` to
 * onFile. Any failure (a second file, an oversized or broken form, onFile throwing) stops reading
 * the body at once, so a client cannot make the server swallow more than the limit.
 */
export function receiveSingleFile<T>(req: MultipartRequest, opts: Options<T>): Promise<T> {
  if (!req.contentType.toLowerCase().startsWith('multipart/form-data') || !req.body)
    return Promise.reject(attachmentErrors.not_multipart(texts.notMultipart))
  let parser: busboy.Busboy
  try {
    parser = busboy({
      headers: { 'content-type': req.contentType },
      // Browsers send UTF-8 names in filename="…"; busboy's default latin1 would garble umlauts.
      defParamCharset: 'utf8',
      limits: {
        files: 1,
        fileSize: opts.maxFileBytes + 1,
        fields: 4,
        fieldSize: 1024,
        fieldNameSize: 64,
        parts: 5,
        headerPairs: 16,
      },
    })
  } catch (cause) {
    return Promise.reject(attachmentErrors.not_multipart(texts.notMultipart, { cause }))
  }
  const source = Readable.fromWeb(req.body as WebReadableStream<Uint8Array>)

  return new Promise<T>((resolve, reject) => {
    let settled = false
    let formDone = false
    let file: Readable | undefined
    let work: Promise<T> | undefined
    let stored: { value: T } | undefined

    // Stops reading the body at once: busboy would otherwise drain the rest of a refused file.
    const halt = () => {
      source.unpipe(parser)
      source.destroy()
    }
    // Answers only after onFile has cleaned up (or its result is undone), so nothing outlives the request.
    const fail = (err: unknown) => {
      if (settled) return
      settled = true
      halt()
      parser.removeAllListeners('file')
      if (file && !file.destroyed) file.destroy(err as Error)
      const cleanup = work ? work.then(opts.undo, () => {}) : Promise.resolve()
      cleanup.catch(() => {}).finally(() => reject(err))
    }
    const finish = () => {
      if (settled || !formDone) return
      if (!work) return fail(attachmentErrors.bad_form(texts.noFile))
      if (!stored) return
      settled = true
      resolve(stored.value)
    }

    parser.on('file', (name, stream, info) => {
      // onFile's pipeline reports the error itself; here it only stops the body and is never unhandled.
      stream.on('error', halt)
      if (name !== 'file' || work) {
        stream.resume()
        return fail(attachmentErrors.bad_form(work ? texts.oneFile : texts.noFile))
      }
      file = stream
      stream.on('limit', () =>
        fail(
          attachmentErrors.too_large(texts.tooLarge(opts.maxFileBytes), {
            extra: { limit: opts.maxFileBytes },
          }),
        ),
      )
      work = opts.onFile({ filename: info.filename ?? '', mimeType: info.mimeType, stream })
      work.then((value) => {
        stored = { value }
        finish()
      }, fail)
    })
    parser.on('filesLimit', () => fail(attachmentErrors.bad_form(texts.oneFile)))
    parser.on('partsLimit', () => fail(attachmentErrors.bad_form(texts.badForm)))
    parser.on('fieldsLimit', () => fail(attachmentErrors.bad_form(texts.badForm)))
    parser.on('error', (cause) => fail(attachmentErrors.bad_form(texts.badForm, { cause })))
    parser.on('close', () => {
      formDone = true
      finish()
    })
    source.on('error', (cause) => fail(attachmentErrors.bad_form(texts.badForm, { cause })))
    source.pipe(parser)
  })
}
