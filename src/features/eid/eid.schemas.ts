import { z } from 'zod'

export const eidAssertionInput = z.object({ assertion: z.string().min(1).max(16_384) })
export type EidAssertionInput = z.infer<typeof eidAssertionInput>
