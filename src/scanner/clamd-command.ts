import net from 'node:net'

/** Where clamd listens: a unix socket, or TCP host and port. */
export type ClamdTarget = { socket: string } | { host: string; port: number }

/** Sends one z-command (`zPING\0`) and resolves with clamd's NUL-terminated reply, NUL removed. */
export function clamdCommand(target: ClamdTarget, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = 'socket' in target ? { path: target.socket } : { host: target.host, port: target.port }
    const socket = net.createConnection(options)
    let reply = Buffer.alloc(0)
    const fail = (err: Error) => {
      socket.destroy()
      reject(err)
    }
    socket.setTimeout(timeoutMs, () =>
      fail(new Error(`clamd did not answer ${command} within ${timeoutMs} ms`)),
    )
    socket.on('error', fail)
    socket.on('end', () => fail(new Error(`clamd closed the connection without answering ${command}`)))
    socket.on('data', (chunk) => {
      reply = Buffer.concat([reply, chunk])
      const end = reply.indexOf(0)
      if (end < 0) return
      socket.destroy()
      resolve(reply.subarray(0, end).toString('utf8'))
    })
    socket.on('connect', () => socket.write(`z${command}\0`))
  })
}
