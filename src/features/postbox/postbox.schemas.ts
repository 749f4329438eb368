import { z } from 'zod'
import { MAX_ATTACHMENTS_PER_MESSAGE } from '../../store/attachments.types.ts'
import { folders } from '../../store/postbox.port.ts'

/** The office's eServices; objection needs an eID-level profile. */
export const categories = [
  'general',
  'change_notice',
  'continued_benefits',
  'evidence',
  'appointment',
  'job_application',
  'objection',
] as const
export type Category = (typeof categories)[number]

export const MAX_SUBJECT = 200
export const MAX_BODY = 20_000

const subject = z.string().trim().min(1).max(MAX_SUBJECT)
const body = z.string().max(MAX_BODY)
const attachmentIds = z.array(z.uuid()).max(MAX_ATTACHMENTS_PER_MESSAGE)

export const newThreadInput = z.strictObject({
  category: z.enum(categories),
  subject,
  body,
  attachmentIds: attachmentIds.default([]),
  draft: z.boolean().default(false),
})
export type NewThreadInput = z.output<typeof newThreadInput>

export const replyInput = z.strictObject({
  body,
  attachmentIds: attachmentIds.default([]),
  draft: z.boolean().default(false),
})
export type ReplyInput = z.output<typeof replyInput>

export const draftPatchInput = z.strictObject({
  subject: subject.optional(),
  body: body.optional(),
  attachmentIds: attachmentIds.optional(),
})
export type DraftPatchInput = z.output<typeof draftPatchInput>

const flag = z.enum(['true', 'false']).transform((v) => v === 'true')
const instant = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((v) => new Date(v))

export const listQuery = z.strictObject({
  folder: z.enum(folders).default('inbox'),
  q: z.string().max(500).optional(),
  office: z.uuid().optional(),
  category: z.enum(categories).optional(),
  kind: z.enum(['message', 'notice']).optional(),
  unread: flag.optional(),
  hasAttachments: flag.optional(),
  from: instant.optional(),
  to: instant.optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
})
export type ListQuery = z.output<typeof listQuery>
