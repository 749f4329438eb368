import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import { newBlobKey } from '../../blobs/blobs.port.ts'
import type { Keyring } from '../../crypto/keyring.ts'
import { deriveSystemKey } from '../../crypto/system-keys.ts'
import type { Deps } from '../../deps.ts'
import type { InboundMail } from '../../store/inbound.port.ts'
import { inboundErrors, texts } from './inbound.errors.ts'
import { MimeLimitError, type MimeShape, mimeScanner } from './mime-scan.ts'

type ReceiveDeps = Pick<Deps, 'config' | 'store' | 'queue' | 'blobs' | 'keyring' | 'clock' | 'log'>

/** The key raw inbound mail is sealed under: it belongs to no citizen until its thread is known. */
export const inboundMailKey = (keyring: Keyring): Buffer =>
  deriveSystemKey(keyring, 'postkorb inbound-mail v1')

export type ReceiveInput = {
  officeId: string
  channel: InboundMail['channel']
  /** The declared length, when the transport gave one: too large is refused before reading. */
  contentLength: number | null
  body: Readable
}

/**
 * Takes one raw RFC 822 mail for the office: checks size, header, part and attachment limits while it
 * streams into a blob sealed under the system inbound key, then records it and enqueues `inbound.email`
 * in one transaction. A mail over a limit is recorded as rejected (counts only, no content kept).
 */
export async function receiveInboundMail(
  deps: ReceiveDeps,
  input: ReceiveInput,
): Promise<{ id: string; state: 'received' }> {
  const limits = deps.config.inbound
  const id = randomUUID()
  const receivedAt = deps.clock()
  if (input.contentLength !== null && input.contentLength > limits.maxBytes) {
    input.body.destroy()
    const shape = { size: input.contentLength, headerCount: 0, partCount: 0, attachmentCount: 0 }
    await recordRejected(deps, input, id, receivedAt, 'too_large', shape)
    throw inboundErrors.too_large(texts.tooLarge(limits.maxBytes), { extra: { limit: limits.maxBytes, id } })
  }
  const scanner = mimeScanner(limits)
  const blobKey = newBlobKey()
  // A refused mail stops the upload at once: the rest of the body is never read.
  scanner.stream.on('error', () => input.body.destroy())
  input.body.on('error', (err) => scanner.stream.destroy(err))
  try {
    await deps.blobs.put(blobKey, input.body.pipe(scanner.stream), {
      dek: inboundMailKey(deps.keyring),
      blobId: id,
      maxBytes: limits.maxBytes,
    })
  } catch (err) {
    const refusal = err instanceof MimeLimitError ? err : scannerError(scanner.stream)
    if (!refusal) throw err
    await recordRejected(deps, input, id, receivedAt, refusal.reason, refusal.shape)
    if (refusal.reason === 'too_large')
      throw inboundErrors.too_large(texts.tooLarge(limits.maxBytes), {
        extra: { limit: limits.maxBytes, id },
      })
    throw inboundErrors.refused(texts.refused(refusal.reason), { extra: { reason: refusal.reason, id } })
  }
  const shape = scanner.shape()
  try {
    if (shape.size === 0) throw inboundErrors.empty(texts.empty)
    await deps.store.transaction(async (tx) => {
      await tx.inbound.create(row(input, id, receivedAt, 'received', null, shape, blobKey))
      await deps.queue.send('inbound.email', { inboundId: id }, { tx })
    })
  } catch (err) {
    await deps.blobs.delete(blobKey).catch((e) => deps.log.warn({ err: e }, 'inbound blob delete failed'))
    throw err
  }
  deps.log.info({ inboundId: id, size: shape.size, channel: input.channel }, 'inbound mail received')
  return { id, state: 'received' }
}

// The blob store may report its own error first; the scanner's refusal is what the sender must hear.
function scannerError(stream: Readable): MimeLimitError | null {
  const err = (stream as Readable & { errored?: unknown }).errored
  return err instanceof MimeLimitError ? err : null
}

async function recordRejected(
  deps: ReceiveDeps,
  input: ReceiveInput,
  id: string,
  at: Date,
  reason: string,
  shape: MimeShape,
) {
  await deps.store.inbound.create({ ...row(input, id, at, 'rejected', reason, shape, null), processedAt: at })
  deps.log.warn({ inboundId: id, reason, size: shape.size, channel: input.channel }, 'inbound mail refused')
}

function row(
  input: ReceiveInput,
  id: string,
  receivedAt: Date,
  state: InboundMail['state'],
  reason: string | null,
  shape: MimeShape,
  blobKey: string | null,
): InboundMail {
  return {
    id,
    officeId: input.officeId,
    state,
    reason,
    channel: input.channel,
    ...shape,
    blobKey,
    threadId: null,
    messageId: null,
    receivedAt,
    processedAt: null,
  }
}
