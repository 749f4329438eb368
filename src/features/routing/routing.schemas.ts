import { z } from 'zod'
import { categories } from '../postbox/postbox.schemas.ts'

const destination = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('efile') }),
  z.strictObject({ kind: z.literal('email'), address: z.email().max(254) }),
  z.strictObject({
    kind: z.literal('queue'),
    queue: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, _ and -'),
    slaHours: z.number().int().min(1).max(2160).optional(),
  }),
])

const rule = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string().trim().min(1).max(200),
  match: z
    .strictObject({
      categories: z.array(z.enum(categories)).min(1).max(categories.length).optional(),
      kinds: z
        .array(z.enum(['message', 'notice', 'receipt']))
        .min(1)
        .max(3)
        .optional(),
      hasAttachments: z.boolean().optional(),
      keywords: z.array(z.string().trim().min(2).max(100)).min(1).max(50).optional(),
    })
    .default({}),
  destinations: z
    .array(destination)
    .min(1)
    .max(5)
    .refine((ds) => new Set(ds.map(destinationKey)).size === ds.length, 'destinations must be distinct'),
  isDefault: z.boolean().optional(),
})

export const ruleSetInput = z.strictObject({
  rules: z.array(rule).min(1).max(100),
  /** The version the admin edited; a newer stored version refuses the write (409). */
  baseVersion: z.number().int().min(0).optional(),
})
export type RuleSetInput = z.output<typeof ruleSetInput>

export const efileEndpointInput = z.strictObject({
  endpoint: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullable(),
})

export const rerouteInput = z.strictObject({
  /** Explicit destinations; without them the office's current rules decide again. */
  destinations: z.array(destination).min(1).max(5).optional(),
})
export type RerouteInput = z.output<typeof rerouteInput>

/** The stored form of a destination: 'efile', 'email:<address>' or 'queue:<name>'. */
export function destinationKey(d: z.output<typeof destination>): string {
  if (d.kind === 'efile') return 'efile'
  if (d.kind === 'email') return `email:${d.address.toLowerCase()}`
  return `queue:${d.queue}`
}
