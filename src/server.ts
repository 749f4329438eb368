import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { createApp } from './app.ts'
import type { AppDeps } from './deps.ts'

export type RunningServer = { url: string; close(timeoutMs: number): Promise<void> }

/** Listens with the app; close() stops taking connections and waits for requests in flight. */
export function startServer(deps: AppDeps): Promise<RunningServer> {
  const app = createApp(deps)
  const { host, port } = deps.config.http
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      const url = `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`
      resolve({ url, close: (timeoutMs) => closeServer(server as Server, timeoutMs) })
    }) as Server
    server.once('error', reject)
    server.requestTimeout = 5 * 60_000
    server.headersTimeout = 30_000
  })
}

function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs)
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    server.closeIdleConnections()
  })
}
