import { zValidator } from '@hono/zod-validator'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { z } from 'zod'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'

type Body = {
  status: number
  code: string
  title: string
  type: string
  detail?: string
  requestId?: string
  errors: { path: string }[]
  checks: Record<string, string>
  openapi?: string
}
const json = async (res: Response) => (await res.json()) as Body

describeBackends('HTTP shell', (kind) => {
  let t: TestApp
  beforeEach(async () => {
    t = await makeTestApp(kind, { MAX_BODY_BYTES: '2048', CLAMD_SOCKET: '/nonexistent/clamd.sock' })
    t.app.post('/v1/test/echo', async (c) =>
      c.json(z.object({ text: z.string().max(5) }).parse(await c.req.json())),
    )
    t.app.get('/v1/test/boom', () => {
      throw new Error('internal detail: SELECT secret FROM somewhere')
    })
  })
  afterEach(() => t.close())

  // happy
  it('answers /healthz with 200 and a request id', async () => {
    const res = await t.app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ status: 'ok' })
    expect(res.headers.get('x-request-id')).toMatch(/.+/)
  })

  it('keeps a well-formed caller request id', async () => {
    const res = await t.app.request('/healthz', { headers: { 'X-Request-Id': 'abc-123' } })
    expect(res.headers.get('x-request-id')).toBe('abc-123')
  })

  it('publishes the OpenAPI document', async () => {
    const res = await t.app.request('/openapi.json')
    expect(res.status).toBe(200)
    expect((await json(res)).openapi).toBe('3.1.0')
  })

  // error
  it('answers an unknown route with a problem+json 404', async () => {
    const res = await t.app.request('/v1/nothing-here', { headers: { 'X-Request-Id': 'req-1' } })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    const body = await json(res)
    expect(body).toMatchObject({
      status: 404,
      code: 'http.not_found',
      title: 'Not Found',
      requestId: 'req-1',
    })
    expect(body.type).toMatch(/^https:\/\//)
  })

  it('shows people a readable German and English page for unknown pages', async () => {
    const res = await t.app.request('/gibt-es-nicht', { headers: { Accept: 'text/html' } })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('text/html')
    const page = await res.text()
    expect(page).toContain('Diese Seite gibt es nicht.')
    expect(page).toContain('This page does not exist.')
  })

  it('answers malformed JSON with 400, not 500, also through Hono validators', async () => {
    t.app.post('/v1/test/validated', zValidator('json', z.object({ a: z.string() })), (c) =>
      c.json(c.req.valid('json')),
    )
    const res = await t.app.request('/v1/test/validated', {
      method: 'POST',
      body: '{"a": ',
      headers: { 'Content-Type': 'application/json' },
    })
    expect(res.status, t.logs.join('\n')).toBe(400)
    expect((await json(res)).code).toBe('http.bad_request')
  })

  it('turns a zod error into 422 with the field issues', async () => {
    const res = await t.app.request('/v1/test/echo', {
      method: 'POST',
      body: JSON.stringify({ text: 'too long' }),
      headers: { 'Content-Type': 'application/json' },
    })
    expect(res.status).toBe(422)
    const body = await json(res)
    expect(body.code).toBe('http.validation')
    expect(body.errors[0]?.path).toBe('text')
  })

  it('hides internals of unexpected errors and logs them', async () => {
    const res = await t.app.request('/v1/test/boom')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).not.toContain('SELECT')
    expect(text).not.toContain('at ')
    expect(JSON.parse(text)).toMatchObject({ status: 500, code: 'internal' })
    expect(t.logs.some((l) => l.includes('request failed'))).toBe(true)
  })

  it('refuses a body over the limit announced by Content-Length with 413', async () => {
    const res = await t.app.request('/v1/test/echo', {
      method: 'POST',
      body: JSON.stringify({ text: 'x'.repeat(5000) }),
      headers: { 'Content-Type': 'application/json' },
    })
    expect(res.status).toBe(413)
    expect((await json(res)).code).toBe('http.payload_too_large')
  })

  it('refuses a chunked body over the limit with 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const req = new Request('http://localhost/v1/test/echo', {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json' },
      duplex: 'half',
    } as RequestInit)
    expect(req.headers.get('content-length')).toBeNull()
    const res = await t.app.request(req)
    expect(res.status).toBe(413)
  })

  it('reports not ready with the failing part named when the scanner is unreachable', async () => {
    const res = await t.app.request('/readyz')
    expect(res.status).toBe(503)
    const body = await json(res)
    expect(body.detail).toContain('scanner')
    expect(body.checks).toMatchObject({ store: 'ok', queue: 'ok', scanner: 'down' })
  })

  it('reports not ready while draining', async () => {
    t.deps.lifecycle.draining = true
    const res = await t.app.request('/readyz')
    expect(res.status).toBe(503)
    expect((await json(res)).checks.lifecycle).toBe('draining')
  })

  // security
  it('sends HSTS for at least a year, a strict CSP, nosniff and no framing', async () => {
    const res = await t.app.request('/healthz')
    const hsts = res.headers.get('strict-transport-security') ?? ''
    expect(Number(/max-age=(\d+)/.exec(hsts)?.[1])).toBeGreaterThanOrEqual(31_536_000)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("default-src 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
  })

  it('marks every API answer no-store, errors included', async () => {
    const res = await t.app.request('/v1/nothing-here')
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('logs neither query strings nor authorization headers', async () => {
    await t.app.request('/v1/nothing-here?q=Mueller+Kindergeld', {
      headers: { Authorization: 'Bearer pk_secret_token_value' },
    })
    const all = t.logs.join('\n')
    expect(all).toContain('/v1/nothing-here')
    expect(all).not.toContain('Mueller')
    expect(all).not.toContain('pk_secret_token_value')
  })
})
