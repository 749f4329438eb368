import { z } from 'zod'

const flag = z.enum(['true', 'false']).transform((v) => v === 'true')

export const itemsQuery = z.strictObject({
  queue: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
    .optional(),
  state: z.enum(['open', 'claimed', 'answered', 'forwarded', 'closed']).optional(),
  overdue: flag.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})
export type ItemsQuery = z.output<typeof itemsQuery>

export const replyInput = z.strictObject({ body: z.string().trim().min(1).max(20_000) })

/** Forwarding leaves the service center: to the e-file or an inbox (a new delivery through routing). */
export const forwardInput = z.strictObject({
  destination: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('efile') }),
    z.strictObject({ kind: z.literal('email'), address: z.email().max(254) }),
  ]),
})
export type ForwardInput = z.output<typeof forwardInput>
