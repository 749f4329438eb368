import { type Context, Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { requireStaff, staffOf } from '../../http/staff-auth.ts'
import { MAX_ATTACHMENTS_PER_MESSAGE } from '../../store/attachments.types.ts'
import type { EfileReply } from '../../store/inbound.port.ts'
import { MAX_REPLY_CHARS, writeOfficeReply } from './office-reply.service.ts'
import { replyErrors, texts } from './replies.errors.ts'
import { openReplyForm } from './replies.multipart.ts'

export const EFILE_REPLY_PATH = '/v1/efile/replies'
const REFERENCE = /^[A-Za-z0-9-]{1,64}$/
// Boundaries and part headers around the files; a declared length beyond the files' limit + this is refused unread.
const FORM_SLACK = 1024 * 1024

/** Replies from the office's e-file system (integration token): into the thread named by its reference. */
export function replyRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().post(EFILE_REPLY_PATH, requireStaff(['integration']), async (c) => {
    const me = staffOf(c)
    const key = c.req.header('idempotency-key')?.trim()
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw replyErrors.bad_form(texts.badIdempotencyKey)
    // A retried POST gets the first answer back before any of its body is read.
    const earlier = key ? await deps.store.inbound.findEfileReply(me.officeId, key) : null
    if (earlier) return replayed(c, earlier)
    const maxFile = deps.config.http.maxUploadBytes
    const length = Number(c.req.header('content-length') ?? Number.NaN)
    if (length > MAX_ATTACHMENTS_PER_MESSAGE * maxFile + MAX_REPLY_CHARS * 4 + FORM_SLACK)
      throw replyErrors.too_large(texts.tooLarge(maxFile), { extra: { limit: maxFile } })
    const form = openReplyForm(
      { contentType: c.req.header('content-type') ?? '', body: c.req.raw.body },
      { maxFileBytes: maxFile, maxFieldBytes: MAX_REPLY_CHARS * 4 },
    )
    const fields = await form.fields
    const reference = fields.reference?.trim() ?? ''
    if (!REFERENCE.test(reference)) {
      form.abort()
      throw replyErrors.bad_reference(texts.badReference)
    }
    const threadId = await deps.store.inbound.threadIdByReference(me.officeId, reference)
    if (!threadId) {
      form.abort()
      throw replyErrors.thread_not_found(texts.threadNotFound)
    }
    try {
      const written = await writeOfficeReply(deps, {
        officeId: me.officeId,
        threadId,
        body: fields.body ?? '',
        source: 'efile',
        actor: { kind: 'staff', id: me.staffId },
        files: form.files,
        within: key
          ? (tx, messageId) =>
              tx.inbound.recordEfileReply({
                officeId: me.officeId,
                idempotencyKey: key,
                threadId,
                messageId,
                createdAt: deps.clock(),
              })
          : undefined,
      })
      return c.json({ ...written, reference }, 201)
    } catch (err) {
      // Two POSTs with one key at once: the loser's transaction fails on the key, it answers like a retry.
      const winner = key ? await deps.store.inbound.findEfileReply(me.officeId, key) : null
      if (winner) return replayed(c, winner)
      throw err
    }
  })
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/

async function replayed(c: Context<AppEnv>, reply: EfileReply) {
  const thread = await c.var.deps.store.postbox.getThreadForOffice(reply.officeId, reply.threadId)
  c.header('Idempotent-Replayed', 'true')
  return c.json(
    { messageId: reply.messageId, threadId: reply.threadId, reference: thread?.reference ?? null },
    200,
  )
}
