import { Hono } from 'hono'
import type { AppDeps } from '../../deps.ts'
import type { AppEnv } from '../../http/app-env.ts'
import { citizenOf, requireCitizen } from '../../http/citizen-session.ts'
import { jsonBody } from '../../http/json-body.ts'
import { requireStaff, staffOf } from '../../http/staff-auth.ts'
import { recordNoticeDownload } from '../notices/notices.retrieval.ts'
import { messagePdf, type PdfFile, threadPdf } from './postbox.pdf.ts'
import { folderCounts, getThread, listMessages, readThreadForOffice } from './postbox.read.ts'
import { draftPatchInput, listQuery, newThreadInput, replyInput } from './postbox.schemas.ts'
import {
  createThread,
  deleteDraft,
  markRead,
  moveToTrash,
  purgeMessage,
  reply,
  sendDraft,
  updateDraft,
} from './postbox.service.ts'

/** The citizen's postbox (threads, drafts, folders, search) and the office's scoped thread read. */
export function postboxRoutes(deps: AppDeps) {
  const activated = requireCitizen({ level: 'code_verified' })
  const me = (c: Parameters<typeof citizenOf>[0]) => citizenOf(c).citizen
  return new Hono<AppEnv>()
    .post('/v1/postbox/threads', activated, async (c) => {
      const written = await createThread(deps, me(c), await jsonBody(c, newThreadInput))
      return c.json(written, 201)
    })
    .get('/v1/postbox/threads/:threadId', activated, async (c) =>
      c.json(await getThread(deps, me(c), c.req.param('threadId'))),
    )
    .get('/v1/postbox/threads/:threadId/pdf', activated, async (c) =>
      pdfResponse(await threadPdf(deps, me(c), c.req.param('threadId'))),
    )
    .get('/v1/postbox/messages/:messageId/pdf', activated, async (c) => {
      const file = await messagePdf(deps, me(c), c.req.param('messageId'))
      await recordNoticeDownload(deps, me(c).id, c.req.param('messageId'))
      return pdfResponse(file)
    })
    .post('/v1/postbox/threads/:threadId/messages', activated, async (c) => {
      const written = await reply(deps, me(c), c.req.param('threadId'), await jsonBody(c, replyInput))
      return c.json(written, 201)
    })
    .patch('/v1/postbox/drafts/:messageId', activated, async (c) =>
      c.json(await updateDraft(deps, me(c), c.req.param('messageId'), await jsonBody(c, draftPatchInput))),
    )
    .post('/v1/postbox/drafts/:messageId/send', activated, async (c) =>
      c.json(await sendDraft(deps, me(c), c.req.param('messageId'))),
    )
    .delete('/v1/postbox/drafts/:messageId', activated, async (c) => {
      await deleteDraft(deps, me(c), c.req.param('messageId'))
      return c.body(null, 204)
    })
    .get('/v1/postbox/messages', activated, async (c) =>
      c.json(await listMessages(deps, me(c), listQuery.parse(c.req.query()))),
    )
    .get('/v1/postbox/folders', activated, async (c) => c.json(await folderCounts(deps, me(c))))
    .post('/v1/postbox/messages/:messageId/read', activated, async (c) =>
      c.json(await markRead(deps, me(c), c.req.param('messageId'))),
    )
    .post('/v1/postbox/messages/:messageId/restore', activated, async (c) =>
      c.json(await moveToTrash(deps, me(c), c.req.param('messageId'), true)),
    )
    .delete('/v1/postbox/messages/:messageId', activated, async (c) => {
      if (c.req.query('purge') === 'true') {
        await purgeMessage(deps, me(c), c.req.param('messageId'))
        return c.body(null, 204)
      }
      return c.json(await moveToTrash(deps, me(c), c.req.param('messageId'), false))
    })
    .get('/v1/office/threads/:threadId', requireStaff(['caseworker', 'integration']), async (c) =>
      c.json(await readThreadForOffice(deps, staffOf(c), c.req.param('threadId'))),
    )
}

// The file name holds only the thread reference and ids, never the subject.
const pdfResponse = (file: PdfFile) =>
  new Response(new Uint8Array(file.bytes), {
    status: 200,
    headers: {
      'Content-Type': 'application/pdf',
      'Content-Length': String(file.bytes.length),
      'Content-Disposition': `attachment; filename="${file.fileName}"`,
      'X-Content-Type-Options': 'nosniff',
    },
  })
