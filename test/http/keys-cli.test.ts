import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const cli = path.resolve(import.meta.dirname, '../../src/cli.ts')
const dirs: string[] = []

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A fresh data dir with the embedded SQLite database seeded by `seed --demo`. */
function seededDataDir(extraEnv: Record<string, string> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postkorb-keys-cli-'))
  dirs.push(dataDir)
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  }
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { env, cwd: dataDir, encoding: 'utf8' })
    return { code: r.status, out: r.stdout, err: r.stderr }
  }
  expect(run('seed', '--demo').code).toBe(0)
  return { dataDir, run }
}

const citizensPerKey = (statusOut: string) =>
  Object.fromEntries([...statusOut.matchAll(/^ {2}(\S+) {2}(\d+)/gm)].map((m) => [m[1], Number(m[2])]))

describe('postkorb keys (embedded key file)', { timeout: 60_000 }, () => {
  it('rotate adds a new active key and status then shows every citizen on it, without printing any key', () => {
    const { dataDir, run } = seededDataDir()
    const keyFile = path.join(dataDir, 'keys.json')
    const before = run('keys', 'status')
    expect(before.code).toBe(0)
    const oldId = before.out.match(/^active key: (\S+)$/m)?.[1]
    expect(citizensPerKey(before.out)).toEqual({ [oldId ?? '?']: 1 })

    const rotated = run('keys', 'rotate', '--batch-size', '1')
    expect(rotated.code, rotated.err).toBe(0)
    const newId = rotated.out.match(/^added key (\S+) to /m)?.[1]
    expect(newId).toBeDefined()
    expect(newId).not.toBe(oldId)
    expect(rotated.out).toContain(`done: 1 rewrapped to ${newId}, 0 skipped, 0 remaining`)

    const after = run('keys', 'status')
    expect(after.out).toMatch(new RegExp(`^active key: ${newId}$`, 'm'))
    expect(citizensPerKey(after.out)).toEqual({ [oldId ?? '?']: 0, [newId ?? '?']: 1 })
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    const secrets = Object.values(JSON.parse(readFileSync(keyFile, 'utf8')).keys as Record<string, string>)
    for (const s of secrets) expect(rotated.out + rotated.err + after.out).not.toContain(s)
  })

  it('retire refuses the active key, then removes the old one once unused', () => {
    const { dataDir, run } = seededDataDir()
    const oldId = run('keys', 'status').out.match(/^active key: (\S+)$/m)?.[1] ?? '?'
    const refused = run('keys', 'retire', '--key', oldId)
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(/active key/)

    expect(run('keys', 'rotate').code).toBe(0)
    const retired = run('keys', 'retire', '--key', oldId)
    expect(retired.code, retired.err).toBe(0)
    const keys = JSON.parse(readFileSync(path.join(dataDir, 'keys.json'), 'utf8')).keys
    expect(Object.keys(keys)).not.toContain(oldId)
    expect(Object.keys(citizensPerKey(run('keys', 'status').out))).not.toContain(oldId)
    expect(run('audit', 'verify').out).toContain('"ok":true')
  })

  it('answers a missing or malformed option with the usage and exit code 2', () => {
    const { run } = seededDataDir()
    expect(run('keys', 'retire').code).toBe(2)
    expect(run('keys', 'rotate', '--batch-size', '0').code).toBe(2)
    expect(run('keys', 'spin').err).toContain('postkorb keys rotate')
  })
})

describe('postkorb keys (POSTKORB_KEYS)', { timeout: 60_000 }, () => {
  it('rotate explains that the operator adds keys, rewraps to the first key, and retire leaves removal to the operator', () => {
    const indexKey = randomBytes(32).toString('base64')
    const k1 = `k1:${randomBytes(32).toString('base64')}`
    const k2 = `k2:${randomBytes(32).toString('base64')}`
    const { dataDir, run } = seededDataDir({ POSTKORB_KEYS: k1, POSTKORB_INDEX_KEY: indexKey })

    const noNewKey = run('keys', 'rotate')
    expect(noNewKey.code).toBe(0)
    expect(noNewKey.out).toContain('does not generate a key')
    expect(noNewKey.out).toContain('put a new 32-byte key FIRST in POSTKORB_KEYS')
    expect(existsSync(path.join(dataDir, 'keys.json'))).toBe(false)

    const env2 = { POSTKORB_KEYS: `${k2},${k1}`, POSTKORB_INDEX_KEY: indexKey }
    const rotated = spawnSync(process.execPath, [cli, 'keys', 'rotate'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env2 },
      encoding: 'utf8',
    })
    expect(rotated.status, rotated.stderr).toBe(0)
    expect(rotated.stdout).toContain('done: 1 rewrapped to k2')
    const retire = spawnSync(process.execPath, [cli, 'keys', 'retire', '--key', 'k1'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env2 },
      encoding: 'utf8',
    })
    expect(retire.status).toBe(0)
    expect(retire.stdout).toContain('remove it from POSTKORB_KEYS')
    expect(rotated.stdout + retire.stdout).not.toContain(k2.slice(3))
  })
})
