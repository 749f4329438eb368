import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const script = path.resolve(import.meta.dirname, '../../.ci/clamd.sh')

/** A clamd of this test alone (its own state dir and socket): the shared one must never stop. */
export function ownClamd(extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'postkorb-clamd-own-'))
  const run = (command: 'start' | 'stop') => {
    const r = spawnSync('bash', [script, command], {
      env: { ...process.env, ...extraEnv, POSTKORB_CLAMD_DIR: dir },
      encoding: 'utf8',
      timeout: 120_000,
    })
    if (r.status !== 0) throw new Error(`clamd ${command} failed: ${r.stderr}`)
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
