import { z } from 'zod'

/** Customer numbers as offices print them (e.g. 123D456789); spaces and case are ignored. */
export const customerNumber = z
  .string()
  .max(40)
  .transform((v) => v.replace(/\s+/g, '').toUpperCase())
  .pipe(
    z
      .string()
      .regex(/^[0-9A-Z]{4,20}$/, 'Kundennummer: 4–20 Ziffern oder Buchstaben / 4–20 digits or letters'),
  )

/** Codes as typed: dashes, spaces and lower case are tolerated; 12 of A–Z and 0–9 remain. */
export const activationCode = z
  .string()
  .max(40)
  .transform((v) => v.replace(/[\s-]+/g, '').toUpperCase())
  .pipe(
    z
      .string()
      .regex(
        /^[A-Z0-9]{12}$/,
        'Freischaltcode: 12 Ziffern oder Großbuchstaben / 12 digits or capital letters',
      ),
  )

export const issueCodeInput = z.object({
  customerNumber,
  expiresAt: z.iso.datetime({ offset: true }).optional(),
})
export type IssueCodeInput = z.infer<typeof issueCodeInput>

export const activateInput = z.object({ customerNumber, code: activationCode })
export type ActivateInput = z.infer<typeof activateInput>
