import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

/**
 * A socket that speaks just enough of clamd's protocol to answer badly. A real clamd cannot be made
 * to send garbage or hang up mid-scan on demand, so these cases need a stand-in; every other
 * scanner test talks to the real clamd.
 */
export async function startMisbehavingClamd(
  answer: (socket: net.Socket) => void,
): Promise<{ socket: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'postkorb-badclamd-'))
  const socketPath = path.join(dir, 'clamd.sock')
  const connections = new Set<net.Socket>()
  const server = net.createServer((conn) => {
    connections.add(conn)
    conn.on('close', () => connections.delete(conn))
    conn.on('error', () => undefined)
    conn.once('data', () => answer(conn))
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return {
    socket: socketPath,
    close: async () => {
      for (const conn of connections) conn.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
