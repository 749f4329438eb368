import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const script = path.resolve(import.meta.dirname, '../../.ci/clamd.sh')

/** A clamd of this test alone (its own state dir and socket): the shared one must never stop. */
export function ownClamd(extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'postkorb-clamd-own-'))
  const run = (command: 'start' | 'stop') => {
    const started = Date.now()
    const r = spawnSync('bash', [script, command], {
      env: { ...process.env, ...extraEnv, POSTKORB_CLAMD_DIR: dir },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 90_000,
    })
    if (r.status !== 0) {
      // Everything there is to know, since a failure here happens once in many CI runs.
      const how = r.error
        ? `error ${r.error.message}`
        : `exit ${r.status ?? 'none'}, signal ${r.signal ?? 'none'}`
      throw new Error(
        `clamd ${command} failed after ${Date.now() - started} ms (${how}):\n${r.stderr}${r.stdout}\n${logTail(dir)}`,
      )
    }
  }
  return {
    dir,
    socket: path.join(dir, 'run', 'clamd.sock'),
    conf: path.join(dir, 'clamd.conf'),
    start: () => run('start'),
    stop: () => run('stop'),
    remove() {
      try {
        run('stop')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

function logTail(dir: string): string {
  const log = path.join(dir, 'log', 'clamd.log')
  if (!existsSync(log)) return '(no clamd.log)'
  return readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')
}
