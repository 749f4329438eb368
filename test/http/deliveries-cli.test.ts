import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { describeBackends } from '../helpers/backends.ts'
import { citizenOf } from './postbox-fixtures.ts'
import { officeWithRules, queueDefault, sendText } from './routing-fixtures.ts'

const cli = path.resolve(import.meta.dirname, '../../src/cli.ts')

describeBackends('postkorb deliveries replay', (kind) => {
  let t: TestApp
  beforeAll(async () => {
    t = await makeTestApp(kind)
  })
  afterAll(() => t.close())

  const run = (...args: string[]) => {
    const c = t.deps.config
    const url = c.db.kind === 'pg' ? c.db.url : `file:${c.db.file}`
    return spawnSync(process.execPath, [cli, 'deliveries', ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: url,
        DATA_DIR: c.dataDir,
        POSTKORB_KEYS: c.keys.inline,
        POSTKORB_INDEX_KEY: c.keys.indexKey,
        LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
    })
  }

  /** A delivery of a sent message that ended failed, as after the attempt limit. */
  async function failedDelivery(state: 'failed' | 'delivered' = 'failed') {
    const office = await officeWithRules(t, [queueDefault()])
    const who = await citizenOf(t, office)
    const { messageId } = await sendText(t, who)
    const id = randomUUID()
    await t.deps.store.deliveries.insert({
      id,
      messageId,
      destinationKind: 'efile',
      destination: 'efile',
      createdAt: new Date(),
    })
    await t.deps.store.deliveries.claim(id, new Date(), new Date())
    await t.deps.store.deliveries.settle(
      id,
      { state, error: state === 'failed' ? 'HTTP 503: busy' : null },
      new Date(),
    )
    return id
  }

  it('replays one failed delivery by id and refuses one that was delivered', async () => {
    const failed = await failedDelivery()
    const delivered = await failedDelivery('delivered')
    const before = (await t.deps.queue.counts('deliver.efile')).waiting
    const r = run('replay', '--id', failed)
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ replayed: [failed], skipped: [] })
    expect(await t.deps.store.deliveries.get(failed)).toMatchObject({ state: 'pending', attempts: 0 })
    expect((await t.deps.queue.counts('deliver.efile')).waiting).toBe(before + 1)

    const again = run('replay', '--id', delivered)
    expect(again.status).toBe(1)
    expect(JSON.parse(again.stdout).skipped).toEqual([{ id: delivered, state: 'delivered' }])
    expect((await t.deps.store.deliveries.get(delivered))?.state).toBe('delivered')
  }, 60_000)

  it('replays every failed delivery with --failed, and explains its usage otherwise', async () => {
    const ids = [await failedDelivery(), await failedDelivery()]
    const r = run('replay', '--failed')
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).replayed).toEqual(expect.arrayContaining(ids))
    for (const id of ids) expect((await t.deps.store.deliveries.get(id))?.state).toBe('pending')
    const usage = run('replay')
    expect(usage.status).toBe(2)
    expect(usage.stderr).toContain('--failed')
  }, 60_000)
})
