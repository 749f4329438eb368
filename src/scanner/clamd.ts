import type { Config } from '../config.ts'
import { type ClamdTarget, clamdCommand } from './clamd-command.ts'
import { scanWithClamscan } from './clamscan-stream.ts'
import { type Scanner, scannerErrors } from './scanner.port.ts'

export type ScannerSettings = Pick<Config['scanner'], 'socket' | 'host' | 'port' | 'timeoutMs'>

// /readyz must answer quickly even when clamd hangs; scans get the full CLAMD_TIMEOUT_MS.
const PING_TIMEOUT_MS = 3000

/** clamd over its socket or TCP; without either, a scanner that refuses everything. */
export function createScanner(settings: ScannerSettings): Scanner {
  const target = targetOf(settings)
  return target ? createClamdScanner(target, settings.timeoutMs) : unconfiguredScanner()
}

export function createClamdScanner(target: ClamdTarget, timeoutMs: number): Scanner {
  return {
    async ping() {
      let reply: string
      try {
        reply = await clamdCommand(target, 'PING', Math.min(timeoutMs, PING_TIMEOUT_MS))
      } catch (err) {
        throw scannerErrors.unreachable(`clamd at ${describeTarget(target)}: ${(err as Error).message}`, {
          cause: err,
        })
      }
      if (reply !== 'PONG')
        throw scannerErrors.bad_answer(`PING answered ${JSON.stringify(reply.slice(0, 80))}`)
    },
    scanStream: (stream, options) => scanWithClamscan(target, timeoutMs, stream, options),
  }
}

/** Never releases a file: every call fails until CLAMD_SOCKET or CLAMD_HOST is set. */
export function unconfiguredScanner(): Scanner {
  const refuse = async (): Promise<never> => {
    throw scannerErrors.not_configured('scanner not configured: set CLAMD_SOCKET or CLAMD_HOST')
  }
  return { ping: refuse, scanStream: refuse }
}

function targetOf(settings: ScannerSettings): ClamdTarget | null {
  if (settings.socket) return { socket: settings.socket }
  if (settings.host) return { host: settings.host, port: settings.port }
  return null
}

function describeTarget(target: ClamdTarget): string {
  return 'socket' in target ? target.socket : `${target.host}:${target.port}`
}
