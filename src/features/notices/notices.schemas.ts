import { z } from 'zod'

const line = z.string().trim().min(1).max(80)

/** A postal address as it goes into the window: recipient first, postcode and town last. */
export const postalAddressInput = z.object({ lines: z.array(line).min(2).max(6) })
export type PostalAddress = z.infer<typeof postalAddressInput>

/** A notice written as structured text; the letter and the postbox render it from a template. */
export const noticeTextInput = z.object({
  salutation: z.string().trim().max(200).optional(),
  paragraphs: z.array(z.string().trim().min(1).max(10_000)).min(1).max(200),
  closing: z.string().trim().max(500).optional(),
})
export type NoticeText = z.infer<typeof noticeTextInput>

/** POST /v1/office/notifications/bounces: the mail gateway reports a bounced notification by its Message-ID. */
export const bounceInput = z.object({
  messageId: z.string().min(3).max(998),
  /** The DSN status or SMTP reply code, e.g. "5.1.1" or "550"; codes only, never the bounce text. */
  code: z
    .string()
    .regex(/^[0-9.]{1,16}$/)
    .default('unknown'),
})

/** POST /v1/office/notices: the JSON body, or the "notice" field of the multipart form. */
export const newNoticeInput = z.object({
  senderNoticeId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\w.:/-]+$/, 'letters, digits and . _ : / - only'),
  customerNumber: z.string().trim().min(1).max(32),
  noticeType: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9_.-]+$/, 'lower-case code'),
  subject: z.string().trim().min(1).max(300),
  digital: z.boolean(),
  threadId: z.uuid().optional(),
  text: noticeTextInput.optional(),
  postalAddress: postalAddressInput.optional(),
})
export type NewNoticeInput = z.infer<typeof newNoticeInput>

/** GET /v1/office/notices: filters and keyset paging (createdAt of the last item). */
export const noticeListQuery = z.object({
  notification: z.enum(['none', 'pending', 'sent', 'failed', 'off']).optional(),
  state: z.enum(['received', 'provided', 'printing', 'address_missing', 'refused']).optional(),
  before: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})
export type NoticeListQuery = z.infer<typeof noticeListQuery>
