import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildDeps, type Deps } from '../../src/deps.ts'
import { processInboundMail, senderAllowed } from '../../src/features/inbound/inbound.process.ts'
import { createThread } from '../../src/features/postbox/postbox.service.ts'
import { createLogger } from '../../src/logger.ts'
import { createSignedInCitizen } from '../helpers/citizen.ts'
import { makeTestConfig } from '../helpers/config.ts'
import { composeMail, replyTo } from './inbound-fixtures.ts'

const cli = path.resolve(import.meta.dirname, '../../src/cli.ts')

// Each test starts the CLI as a child process (a few seconds apiece on a busy 2-core machine).
describe('postkorb inbound email (a mail gateway’s pipe)', { timeout: 90_000 }, () => {
  let dir: string
  let env: Record<string, string>
  let deps: Deps
  const run = (input: Buffer | string, ...args: string[]) =>
    spawnSync(process.execPath, [cli, 'inbound', 'email', ...args], {
      env,
      input,
      encoding: 'utf8',
      cwd: dir,
      timeout: 30_000,
    })

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'postkorb-inbound-cli-'))
    env = { PATH: process.env.PATH ?? '', HOME: dir, DATA_DIR: dir, LOG_LEVEL: 'warn' }
    const seeded = spawnSync(process.execPath, [cli, 'seed', '--demo'], { env, encoding: 'utf8', cwd: dir })
    expect(seeded.status, seeded.stderr).toBe(0)
    const config = makeTestConfig({ DATA_DIR: dir, POSTKORB_KEYS: undefined, POSTKORB_INDEX_KEY: undefined })
    deps = buildDeps(config, createLogger('silent'))
  })
  afterAll(async () => {
    await deps.store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('stores a piped reply, which the job then appends to its thread', async () => {
    const office = await deps.store.offices.getByCode('JC-DEMO')
    if (!office) throw new Error('no demo office')
    const who = await createSignedInCitizen(deps, { officeId: office.id, customerNumber: 'K-PIPE-1' })
    const sent = await createThread(deps, who.citizen, {
      category: 'general',
      subject: 'Frage',
      body: 'Wie geht es weiter?',
      attachmentIds: [],
      draft: false,
    })
    const raw = await composeMail({
      from: 'sb@jobcenter-demo.example',
      to: replyTo(deps, sent.threadId),
      text: 'So geht es weiter.\n\nAm 01.12.2026 schrieb Postkorb:\n> Wie geht es weiter?',
    })
    const piped = run(raw, '--office', 'JC-DEMO')
    expect(piped.status, piped.stderr).toBe(0)
    const { id, state } = JSON.parse(piped.stdout) as { id: string; state: string }
    expect(state).toBe('received')
    expect(await deps.store.inbound.get(id)).toMatchObject({ state: 'received', channel: 'cli' })
    expect(await processInboundMail(deps, id)).toMatchObject({ state: 'appended' })
    const messages = await deps.store.postbox.listThreadMessages(who.citizen.id, sent.threadId)
    expect(messages.map((m) => m.direction)).toEqual(['citizen_to_office', 'office_to_citizen'])
  })

  it('exits 65 (permanent, the gateway bounces) for a mail over a limit and 2 without a known office', () => {
    const headers = Array.from({ length: 10_000 }, (_, i) => `X-H${i}: v`).join('\r\n')
    const refused = run(`${headers}\r\n\r\nbody`, '--office', 'JC-DEMO')
    expect(refused.status).toBe(65)
    expect(refused.stderr).toContain('too_many_headers')
    expect(run('Subject: x\r\n\r\nx', '--office', 'NOPE').status).toBe(2)
    expect(run('Subject: x\r\n\r\nx').status).toBe(2)
  })

  it('accepts domain rules with or without "@" and exact addresses, never subdomains or look-alikes', () => {
    const rules = ['jobcenter-demo.example', '@amt.example', 'sb@partner.example']
    expect(senderAllowed(rules, 'a@jobcenter-demo.example')).toBe(true)
    expect(senderAllowed(rules, 'b@amt.example')).toBe(true)
    expect(senderAllowed(rules, 'sb@partner.example')).toBe(true)
    expect(senderAllowed(rules, 'other@partner.example')).toBe(false)
    expect(senderAllowed(rules, 'a@sub.amt.example')).toBe(false)
    expect(senderAllowed(rules, 'a@jobcenter-demo.example.evil.example')).toBe(false)
  })
})
