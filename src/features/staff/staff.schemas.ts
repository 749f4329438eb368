import { z } from 'zod'
import { staffRoles } from '../../store/store.types.ts'

export const roleSchema = z.enum(staffRoles)

export const createStaffInput = z.object({
  role: roleSchema,
  label: z.string().trim().min(1).max(120),
})
export type CreateStaffInput = z.infer<typeof createStaffInput>

export const createTokenInput = z.object({
  staffId: z.string().min(1).max(64),
  /** Optional; when given it must be the staff member's role (a token never widens it). */
  role: roleSchema.optional(),
})
export type CreateTokenInput = z.infer<typeof createTokenInput>

export const tokenIdParam = z.object({ id: z.string().min(1).max(64) })
