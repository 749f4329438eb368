import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { buildDeps } from '../../src/deps.ts'
import { createLogger } from '../../src/logger.ts'
import { makeTestConfig } from '../helpers/config.ts'

const cli = path.resolve(import.meta.dirname, '../../src/cli.ts')

// Each step starts the CLI as a child process (a few seconds apiece on a busy 2-core machine).
describe('postkorb staff', { timeout: 120_000 }, () => {
  let dir: string
  let env: Record<string, string>
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', cwd: dir, timeout: 20_000 })

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'postkorb-staff-cli-'))
    env = { PATH: process.env.PATH ?? '', HOME: dir, DATA_DIR: dir, LOG_LEVEL: 'warn' }
    expect(run('seed', '--demo').status).toBe(0)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('creates a caseworker, prints the token once, lists and revokes it', async () => {
    const created = run(
      'staff',
      'create',
      '--office',
      'JC-DEMO',
      '--role',
      'caseworker',
      '--label',
      'Frau Muster',
    )
    expect(created.status, created.stderr).toBe(0)
    const token = created.stdout.match(/^(pk_[0-9a-f]{8}_\S+)$/m)?.[1] ?? ''
    const tokenId = created.stdout.match(/token id (\S+)/)?.[1] ?? ''
    expect(token).not.toBe('')

    const listed = run('staff', 'tokens', '--office', 'JC-DEMO')
    expect(listed.status).toBe(0)
    const line = listed.stdout.split('\n').find((l) => l.startsWith(tokenId)) ?? ''
    expect(line).toContain(`pk_${token.split('_')[1]}_…`)
    expect(line).toContain('active')
    expect(listed.stdout).not.toContain(token)

    // The printed token authenticates against the same data directory.
    const config = makeTestConfig({ DATA_DIR: dir, POSTKORB_KEYS: undefined, POSTKORB_INDEX_KEY: undefined })
    const deps = { ...buildDeps(config, createLogger('silent')), lifecycle: { draining: false } }
    try {
      const app = createApp(deps)
      const before = await app.request('/v1/admin/activation-codes', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ customerNumber: '555K123456' }),
      })
      expect(before.status).toBe(201)

      const revoked = run('staff', 'revoke', '--office', 'JC-DEMO', '--token-id', tokenId)
      expect(revoked.status, revoked.stderr).toBe(0)
      const after = await app.request('/v1/admin/activation-codes', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ customerNumber: '555K123456' }),
      })
      expect(after.status).toBe(401)
    } finally {
      await deps.store.close()
    }
    expect(
      run('staff', 'tokens', '--office', 'JC-DEMO')
        .stdout.split('\n')
        .find((l) => l.startsWith(tokenId)),
    ).toContain('revoked')
  })

  it('refuses an unknown office, an unknown role and a foreign token id with exit code 2', () => {
    expect(run('staff', 'tokens', '--office', 'JC-NOPE').status).toBe(2)
    const role = run('staff', 'create', '--office', 'JC-DEMO', '--role', 'root', '--label', 'x')
    expect(role.status).toBe(2)
    expect(role.stderr).toContain('--role must be one of')
    expect(run('staff', 'revoke', '--office', 'JC-DEMO', '--token-id', 'nope').status).toBe(2)
  })
})
