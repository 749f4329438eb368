import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import NodeClam from 'clamscan'
import { AppError } from '../errors.ts'
import type { ClamdTarget } from './clamd-command.ts'
import { type ScanOptions, type ScanVerdict, scannerErrors } from './scanner.port.ts'

type ScanResult = Awaited<ReturnType<NodeClam['scanStream']>>

const CLEAN = /^stream: OK\0?$/
const FOUND = /^stream: ([^\0\r\n]+) FOUND\0?$/
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EHOSTUNREACH', 'ENETUNREACH'])

/** One instance per scan, so a timed-out or aborted scan can close exactly its own clamd connection. */
class TrackedClam extends NodeClam {
  readonly sockets: Socket[] = []
  /** clamd's reply as received, also when the connection then breaks (clamscan drops it then). */
  reply = ''
  protected override async _initSocket(label?: string): Promise<Socket> {
    const socket = await super._initSocket(label)
    this.sockets.push(socket)
    socket.on('data', (chunk: Buffer) => {
      this.reply += chunk.toString('utf8')
    })
    return socket
  }
}

/** clamd only: no fallback to a local binary, no startup ping (clamd may come up later). */
function honestSettings(target: ClamdTarget, timeoutMs: number) {
  const where = 'socket' in target ? { socket: target.socket } : { host: target.host, port: target.port }
  return {
    clamdscan: {
      ...where,
      timeout: timeoutMs,
      localFallback: false,
      path: null,
      bypassTest: true,
      active: true,
    },
    clamscan: { active: false },
    preference: 'clamdscan' as const,
  }
}

/** Streams the content to clamd (INSTREAM) and maps its answer to a verdict; throws on anything else. */
export async function scanWithClamscan(
  target: ClamdTarget,
  timeoutMs: number,
  stream: Readable,
  { signal }: ScanOptions = {},
): Promise<ScanVerdict> {
  if (signal?.aborted) throw scannerErrors.aborted()
  const clam = new TrackedClam()
  await clam.init(honestSettings(target, timeoutMs))
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = () => {
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      stream.off('error', onInputError)
    }
    // A failed scan leaves nothing open: its clamd connection and the input stream are closed.
    const fail = (err: unknown) => {
      if (settled) return
      settle()
      for (const socket of clam.sockets) socket.destroy()
      if (!stream.destroyed) stream.destroy()
      reject(err)
    }
    // The caller's stream failing (decryption, disk) is its own error, passed on unchanged.
    const onInputError = (err: unknown) => fail(err)
    const onAbort = () => fail(scannerErrors.aborted())
    const timer = setTimeout(() => fail(scannerErrors.timeout(`no answer within ${timeoutMs} ms`)), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    stream.once('error', onInputError)
    clam.scanStream(stream).then(
      (result) => {
        if (settled) return
        try {
          const verdict = toVerdict(result)
          settle()
          resolve(verdict)
        } catch (err) {
          fail(err)
        }
      },
      (err: unknown) => fail(toScannerError(err, clam.reply)),
    )
  })
}

/** Only clamd's exact OK or FOUND line for the stream counts; `isInfected: null` and the rest throw. */
export function toVerdict(result: ScanResult): ScanVerdict {
  const answer = (result.resultString ?? '').trim()
  if (result.isInfected === false && CLEAN.test(answer)) return { verdict: 'clean' }
  const signature = FOUND.exec(answer)?.[1]
  if (result.isInfected === true && signature) return { verdict: 'infected', signature }
  throw scannerErrors.bad_answer(`clamd answered ${JSON.stringify(answer.slice(0, 120))}`)
}

function toScannerError(err: unknown, reply: string): AppError {
  if (err instanceof AppError) return err
  const message = err instanceof Error ? err.message : String(err)
  const code = (err as { code?: unknown } | null)?.code
  // clamd answers a stream over StreamMaxLength with this line and hangs up while we still send.
  if (/size limit exceeded/i.test(`${reply} ${message}`))
    return scannerErrors.too_large(message, { cause: err })
  if (typeof code === 'string' && UNREACHABLE.has(code))
    return scannerErrors.unreachable(code, { cause: err })
  if (/timed out/i.test(message)) return scannerErrors.timeout(message, { cause: err })
  return scannerErrors.bad_answer(message.slice(0, 200), { cause: err })
}
