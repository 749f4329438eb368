import { z } from 'zod'

/**
 * Mobile numbers in international form: "+49 151 2345-6789" is accepted; spaces, dashes, dots,
 * slashes and brackets are dropped, a leading 00 becomes +; then E.164: + and 8–15 digits.
 */
export const phoneNumber = z
  .string()
  .max(40)
  .transform((v) => v.replace(/[\s\-./()]/g, '').replace(/^00/, '+'))
  .pipe(
    z
      .string()
      .regex(
        /^\+[1-9]\d{7,14}$/,
        'Telefonnummer international angeben, z. B. +49 151 23456789 / Give the number in international form, e.g. +49 151 23456789',
      ),
  )

export const patchProfileInput = z
  .object({
    onlineCommunication: z
      .object({
        enabled: z.boolean(),
        /** Required when turning on: the version of the consent text the citizen agreed to. */
        consentVersion: z.string().trim().min(1).max(40).optional(),
      })
      .strict()
      .optional(),
    notifications: z
      .object({
        email: z.boolean().optional(),
        smsAppointments: z.boolean().optional(),
        phone: phoneNumber.nullable().optional(),
      })
      .strict()
      .optional(),
    language: z.enum(['de', 'en']).optional(),
  })
  .strict()
export type PatchProfileInput = z.infer<typeof patchProfileInput>

export const deleteProfileInput = z.object({ password: z.string().min(1).max(1024) })
