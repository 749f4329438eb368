import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const cli = path.resolve(import.meta.dirname, '../../src/cli.ts')
const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }
const children: ChildProcess[] = []
const dirs: string[] = []

function tempDir() {
  const d = mkdtempSync(path.join(tmpdir(), 'postkorb-cli-'))
  dirs.push(d)
  return d
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${out}`)),
      timeoutMs,
    )
    const onData = (d: Buffer) => {
      out += d.toString()
      const m = out.match(pattern)
      if (m) {
        clearTimeout(timer)
        resolve(m)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
  })
}

describe('postkorb CLI', () => {
  it('stops with one clear line per bad variable and exit code 1', () => {
    const r = spawnSync(process.execPath, [cli, 'migrate'], {
      env: { ...baseEnv, PORT: 'abc', DATA_DIR: tempDir() },
      encoding: 'utf8',
      cwd: tempDir(),
    })
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^config error: PORT: .*"abc"/)])
  })

  it('start on a fresh data dir serves /healthz within 10 s, prints demo logins and stops cleanly on SIGTERM', async () => {
    const started = Date.now()
    const child = spawn(process.execPath, [cli, 'start', '--seed-demo'], {
      env: { ...baseEnv, PORT: '0', DATA_DIR: tempDir(), LOG_LEVEL: 'warn' },
      cwd: tempDir(),
    })
    children.push(child)
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const logins = waitForOutput(child, /citizen\s+(\S+@\S+) \/ (\S+)/, 10_000)
    const [, url] = await waitForOutput(child, /running at (http:\/\/\S+) /, 10_000)
    const res = await fetch(`${url}/healthz`)
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect((await logins)[1]).toBe('demo@postkorb.example')
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 20_000)
})
