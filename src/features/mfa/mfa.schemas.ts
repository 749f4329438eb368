import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import { z } from 'zod'

const base64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]*$/, 'base64url expected')
  .max(16_384)
const password = z.string().min(1).max(1024)

/** Six digits; spaces a user typed from the app ("123 456") are dropped. */
export const totpCodeInput = z.object({
  code: z
    .string()
    .max(32)
    .transform((s) => s.replace(/\s/g, ''))
    .pipe(z.string().regex(/^\d{6}$/, 'six digits expected')),
})

/** Case, dashes and spaces do not matter; what remains must be ten base32 letters. */
export const recoveryCodeInput = z.object({
  code: z
    .string()
    .max(64)
    .transform((s) => s.toUpperCase().replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^[A-Z2-7]{10}$/, 'recovery code expected (XXXXX-XXXXX)')),
})

export const passwordInput = z.object({ password })
export const optionalPasswordInput = z.object({ password: password.optional() })

const clientExtensionResults = z.record(z.string(), z.unknown()).default({})

export const registrationInput = z.object({
  response: z.looseObject({
    id: base64url.min(1),
    rawId: base64url.min(1),
    type: z.literal('public-key'),
    response: z.looseObject({
      clientDataJSON: base64url,
      attestationObject: base64url,
      transports: z.array(z.string().max(32)).max(10).optional(),
    }),
    clientExtensionResults,
  }),
  password: password.optional(),
})

export const authenticationInput = z.object({
  response: z.looseObject({
    id: base64url.min(1),
    rawId: base64url.min(1),
    type: z.literal('public-key'),
    response: z.looseObject({
      clientDataJSON: base64url,
      authenticatorData: base64url,
      signature: base64url,
      userHandle: base64url.optional(),
    }),
    clientExtensionResults,
  }),
})

export const passkeyIdParam = z.object({ id: base64url.min(1).max(1024) })

// The library does the deep checks; these casts only hand the validated shape over.
export const asRegistration = (r: z.output<typeof registrationInput>['response']) =>
  r as unknown as RegistrationResponseJSON
export const asAuthentication = (r: z.output<typeof authenticationInput>['response']) =>
  r as unknown as AuthenticationResponseJSON
