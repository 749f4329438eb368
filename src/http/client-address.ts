import type { Context } from 'hono'

type NodeBindings = { incoming?: { socket?: { remoteAddress?: string } }; server?: NodeBindings }

/** The client's address: the socket peer, or the first X-Forwarded-For hop behind a trusted proxy. */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim()
    if (forwarded) return forwarded
  }
  const env = (c.env ?? {}) as NodeBindings
  const bindings = env.server ?? env
  return bindings.incoming?.socket?.remoteAddress ?? 'unknown'
}
