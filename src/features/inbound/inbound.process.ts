import { Readable } from 'node:stream'
import { type ParsedMail, simpleParser } from 'mailparser'
import addressparser from 'nodemailer/lib/addressparser'
import type { Deps } from '../../deps.ts'
import { isAppError } from '../../errors.ts'
import type { InboundMail } from '../../store/inbound.port.ts'
import type { Office } from '../../store/store.types.ts'
import { writeOfficeReply } from '../replies/office-reply.service.ts'
import { inboundMailKey } from './inbound.service.ts'
import { htmlToReplyText, stripQuotedHistory } from './reply-text.ts'
import { replyTokenKey, replyTokenOf, verifyReplyToken } from './reply-token.ts'
import { senderAuthenticated } from './sender-auth.ts'

type ProcessDeps = Pick<Deps, 'config' | 'store' | 'queue' | 'blobs' | 'keyring' | 'clock' | 'log'>

export type InboundResult = { state: 'appended' | 'review' | 'skipped'; reason?: string; messageId?: string }

class AlreadySettled extends Error {}

/**
 * The `inbound.email` job: parses a received mail, finds its thread by the signed reply token in
 * To/Cc/Delivered-To or by In-Reply-To/References matching a Message-ID we sent (never by subject),
 * checks the sender against the office's allowed senders and appends the reply without its quoted
 * history. Anything doubtful goes to review with its reason; a mail already settled is left alone.
 */
export async function processInboundMail(deps: ProcessDeps, inboundId: string): Promise<InboundResult> {
  const mail = await deps.store.inbound.get(inboundId)
  if (mail?.state !== 'received' || !mail.blobKey) return { state: 'skipped' }
  const office = await deps.store.offices.get(mail.officeId)
  if (!office) return review(deps, mail, 'office_gone')
  let parsed: ParsedMail
  try {
    const raw = await readAll(
      deps.blobs.get(mail.blobKey, { dek: inboundMailKey(deps.keyring), blobId: mail.id }),
    )
    parsed = await simpleParser(raw, PARSER_OPTIONS)
  } catch (err) {
    if (isAppError(err) && err.retryable) throw err
    // A blob that fails its integrity check or is gone never heals: no retries, a person looks.
    if (isAppError(err)) return review(deps, mail, 'raw_unreadable')
    // The parser's message may quote the mail itself: only its class goes to the log.
    deps.log.warn({ inboundId, error: (err as Error).name }, 'inbound mail unparsable')
    return review(deps, mail, 'unparsable')
  }
  const found = await findThread(deps, office, parsed)
  if (!found.ok) return review(deps, mail, found.reason, found.threadId)
  const sender = singleSender(parsed)
  if (!sender) return review(deps, mail, 'sender_ambiguous', found.threadId)
  const authservId = deps.config.inbound.authservId
  const domain = sender.slice(sender.lastIndexOf('@') + 1)
  if (authservId && !senderAuthenticated(parsed.headerLines, authservId, domain))
    return review(deps, mail, 'sender_unauthenticated', found.threadId)
  if (!senderAllowed(office.allowedSenders, sender))
    return review(deps, mail, 'sender_not_allowed', found.threadId)
  const files = parsed.attachments
    .filter((a) => !a.related && a.content.length > 0)
    .map((a) => ({
      name: a.filename ?? 'Anhang',
      declaredType: a.contentType,
      content: Readable.from([a.content]),
    }))
  try {
    const written = await writeOfficeReply(deps, {
      officeId: office.id,
      threadId: found.threadId,
      body: replyBody(parsed),
      source: 'email',
      actor: { kind: 'system', id: null },
      files,
      within: async (tx, messageId) => {
        const at = deps.clock()
        const settled = await tx.inbound.settle(mail.id, {
          state: 'appended',
          threadId: found.threadId,
          messageId,
          dropBlob: true,
          at,
        })
        if (!settled) throw new AlreadySettled()
      },
    })
    // The reply now lives sealed for the citizen; the raw copy under the system key is not kept.
    await deps.blobs
      .delete(mail.blobKey)
      .catch((err) => deps.log.warn({ err, inboundId }, 'inbound raw blob delete failed'))
    deps.log.info({ inboundId, messageId: written.messageId }, 'inbound mail appended')
    return { state: 'appended', messageId: written.messageId }
  } catch (err) {
    if (err instanceof AlreadySettled) return { state: 'skipped' }
    if (isAppError(err) && !err.retryable)
      return review(deps, mail, err.code.replace(/^replies\./, ''), found.threadId)
    throw err
  }
}

// Limits came before parsing (mime-scan); here the parser only skips work this feature does itself.
const PARSER_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  keepCidLinks: true,
  maxHtmlLengthToParse: 2_000_000,
}

async function review(
  deps: ProcessDeps,
  mail: InboundMail,
  reason: string,
  threadId: string | null = null,
): Promise<InboundResult> {
  const settled = await deps.store.inbound.settle(mail.id, {
    state: 'review',
    reason,
    threadId,
    at: deps.clock(),
  })
  if (settled) deps.log.info({ inboundId: mail.id, reason }, 'inbound mail to review')
  return settled ? { state: 'review', reason } : { state: 'skipped' }
}

type Found = { ok: true; threadId: string } | { ok: false; reason: string; threadId: string | null }

async function findThread(deps: ProcessDeps, office: Office, parsed: ParsedMail): Promise<Found> {
  const byToken = tokenThread(deps, parsed)
  if (byToken && !byToken.ok) return byToken
  const threadId = byToken?.threadId ?? (await messageIdThread(deps, parsed))
  if (!threadId) return { ok: false, reason: 'no_thread_reference', threadId: null }
  const thread = await deps.store.postbox.getThreadForOffice(office.id, threadId)
  if (!thread) return { ok: false, reason: 'thread_not_found', threadId: null }
  return { ok: true, threadId }
}

// Any token we find must verify: a forged or expired one never falls back to the Message-ID.
function tokenThread(deps: ProcessDeps, parsed: ParsedMail): Found | null {
  const tokens = new Set(recipients(parsed).flatMap((a) => replyTokenOf(deps.config, a) ?? []))
  if (tokens.size === 0) return null
  const key = replyTokenKey(deps.keyring)
  const now = deps.clock()
  const checks = [...tokens].map((t) => verifyReplyToken(key, t, now))
  const bad = checks.find((c) => !c.ok)
  if (bad && !bad.ok) return { ok: false, reason: `token_${bad.reason}`, threadId: null }
  const threads = new Set(checks.flatMap((c) => (c.ok ? [c.threadId] : [])))
  const [threadId] = threads
  if (threads.size !== 1 || !threadId) return { ok: false, reason: 'token_ambiguous', threadId: null }
  return { ok: true, threadId }
}

const RECIPIENT_HEADERS = new Set(['to', 'cc', 'delivered-to', 'x-original-to', 'envelope-to'])

function recipients(parsed: ParsedMail): string[] {
  const out: string[] = []
  for (const { key, line } of parsed.headerLines) {
    if (!RECIPIENT_HEADERS.has(key.toLowerCase())) continue
    const value = line.slice(line.indexOf(':') + 1)
    for (const a of addressparser(value, { flatten: true })) if (a.address) out.push(a.address)
  }
  return out
}

async function messageIdThread(deps: ProcessDeps, parsed: ParsedMail): Promise<string | null> {
  const refs = [parsed.inReplyTo ?? '', ...[parsed.references ?? []].flat()].join(' ')
  const ids = [...new Set(refs.match(/<[^<>\s]{1,250}>/g) ?? [])].slice(-20)
  if (ids.length === 0) return null
  const candidates = ids.flatMap((id) => [id, id.slice(1, -1)])
  return (await deps.store.inbound.threadBySentMessageId(candidates))?.threadId ?? null
}

function singleSender(parsed: ParsedMail): string | null {
  const from = (parsed.from?.value ?? []).flatMap((a) => (a.group ? a.group : [a]))
  if (from.length !== 1) return null
  const address = from[0]?.address?.trim().toLowerCase() ?? ''
  return /^[^\s@<>"',;]+@[a-z0-9.-]+\.[a-z0-9-]+$/.test(address) ? address : null
}

/**
 * Whether the office accepts mail from this address: listed exactly ("sb@jobcenter.example"), or its
 * domain listed as "@jobcenter.example" or "jobcenter.example". Subdomains are not included.
 */
export function senderAllowed(allowed: readonly string[], address: string): boolean {
  const a = address.toLowerCase()
  const domain = a.slice(a.lastIndexOf('@') + 1)
  return allowed.some((rule) => {
    const r = rule.trim().toLowerCase()
    if (r.startsWith('@')) return r.slice(1) === domain
    return r.includes('@') ? r === a : r === domain
  })
}

function replyBody(parsed: ParsedMail): string {
  const text = parsed.text?.trim() ? parsed.text : parsed.html ? htmlToReplyText(parsed.html) : ''
  return stripQuotedHistory(text)
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
