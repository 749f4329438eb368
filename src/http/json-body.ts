import type { Context } from 'hono'
import type { z } from 'zod'
import { httpErrors } from '../errors.ts'

/** The JSON body parsed by a zod schema: malformed JSON → 400, schema issues → 422 (app.onError). */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown
  try {
    raw = await c.req.json()
  } catch {
    throw httpErrors.bad_request('Der Inhalt ist kein gültiges JSON. / The request body is not valid JSON.')
  }
  return schema.parse(raw)
}
