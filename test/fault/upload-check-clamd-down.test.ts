import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { jobs } from '../../src/queue/jobs.catalog.ts'
import { createPgBossQueue } from '../../src/queue/pgboss/queue.ts'
import { createSqliteQueue } from '../../src/queue/sqlite/queue.ts'
import type { PgStore } from '../../src/store/pg/store.ts'
import type { SqliteStore } from '../../src/store/sqlite/store.ts'
import { checkUpload } from '../../workers/handlers/upload-check.handler.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import { type BackendKind, describeBackends } from '../helpers/backends.ts'
import { ownClamd } from '../helpers/own-clamd.ts'
import { createOffice, readJson } from '../helpers/staff.ts'
import { clamdReason } from '../http/attachments-fixtures.ts'
import { apiFor, citizenOf } from '../http/postbox-fixtures.ts'
import { EICAR, jobContext, realPdf, settled, upload } from '../http/upload-check-fixtures.ts'

// Retries every 2 s without backoff: the default (5 s doubling) would make this test take minutes.
const fastCatalog = {
  ...jobs,
  'upload.check': { ...jobs['upload.check'], retryDelaySeconds: 2, retryBackoff: false },
}
const cli = path.resolve(import.meta.dirname, '../../src/cli.ts')

/** The real deps on a fresh database, pointed at our own clamd, with the fast-retry queue. */
function makeApp(kind: BackendKind, socket: string): Promise<TestApp> {
  return makeTestApp(
    kind,
    { CLAMD_SOCKET: socket, CLAMD_TIMEOUT_MS: '5000' },
    {
      queue: (base, url) => {
        const common = { catalog: fastCatalog, log: base.log, pollMs: 100, concurrency: 2 }
        return base.store.dialect === 'sqlite'
          ? createSqliteQueue({ ...common, store: base.store as SqliteStore })
          : createPgBossQueue({ ...common, store: base.store as PgStore, connectionString: url })
      },
    },
  )
}

describeBackends('upload check while clamd goes down', (kind) => {
  const clamd = ownClamd()
  let t: TestApp | undefined
  beforeAll(() => {
    if (!clamdReason) clamd.start()
  }, 120_000)
  afterAll(() => clamd.remove())
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  // Routings so far (message.routed audit entries; a message.route job only when routing inline failed).
  const routed = async (app: TestApp) => {
    const c = await app.deps.queue.counts('message.route')
    const entries = await app.deps.store.audit.list(0, 10_000)
    return entries.filter((e) => e.action === 'message.routed').length + c.waiting + c.active + c.failed
  }

  describe.skipIf(clamdReason !== null)('fail-closed', () => {
    it('retries while clamd is down, releases nothing, and finishes once clamd is back', async () => {
      clamd.start()
      const app = await makeApp(kind, clamd.socket)
      t = app
      const attempts: number[] = []
      await app.deps.queue.work('upload.check', (payload, ctx) => {
        attempts.push(ctx.attempt)
        return checkUpload(app.deps, payload, ctx)
      })
      const office = await createOffice(app.deps)
      const who = await citizenOf(app, office)
      const clean = await upload(app, who, 'Nachweis.pdf', 'application/pdf', await realPdf())
      const infected = await upload(app, who, 'virus.pdf', 'application/pdf', EICAR)
      clamd.stop()
      await apiFor(app, who).send({ subject: 'Nachweise', body: 'anbei', attachmentIds: [clean, infected] })

      const until = Date.now() + 20_000
      while (Math.max(0, ...attempts) < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100))
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(3)
      for (const id of [clean, infected])
        expect(await app.deps.store.attachments.getForCheck(id)).toMatchObject({ scanState: 'pending' })
      const download = await app.app.request(`/v1/postbox/attachments/${clean}`, { headers: who.headers() })
      expect(download.status).toBe(409)
      expect(await routed(app)).toBe(0)
      const ready = await app.app.request('/readyz')
      expect((await readJson(ready)).checks.scanner).toBe('down')

      clamd.start()
      expect((await settled(app, clean, 40_000)).scanState).toBe('clean')
      expect((await settled(app, infected, 40_000)).scanState).toBe('infected')
      expect(await routed(app)).toBe(1)
    }, 120_000)

    it('after the retry limit: scan_failed, an alert line, failedScans in /readyz; `postkorb scans requeue` checks it again', async () => {
      clamd.start()
      const app = await makeApp(kind, clamd.socket)
      t = app
      const office = await createOffice(app.deps)
      const who = await citizenOf(app, office)
      const id = await upload(app, who, 'Nachweis.pdf', 'application/pdf', await realPdf())
      clamd.stop()
      await apiFor(app, who).send({ subject: 'Nachweis', body: 'anbei', attachmentIds: [id] })

      // The last delivery of the job, as the queue makes it after retryLimit retries.
      await checkUpload(app.deps, { attachmentId: id }, jobContext(app, jobs['upload.check'].retryLimit + 1))
      expect(await app.deps.store.attachments.getForCheck(id)).toMatchObject({
        scanState: 'scan_failed',
        scanDetail: 'scanner.unreachable',
      })
      const alert = app.logs.map((l) => JSON.parse(l)).find((l) => l.alert === 'upload_scan_failed')
      expect(alert).toMatchObject({ attachmentId: id, level: 50 })
      expect(await routed(app)).toBe(1)

      const scannerDown = await app.app.request('/readyz')
      expect(scannerDown.status).toBe(503)
      expect(await readJson(scannerDown)).toMatchObject({ checks: { scanner: 'down' }, failedScans: 1 })
      clamd.start()
      const back = await app.app.request('/readyz')
      expect(back.status).toBe(200)
      expect(await readJson(back)).toMatchObject({ checks: { scanner: 'ok' }, failedScans: 1 })

      const { config } = app.deps
      const requeue = spawnSync(process.execPath, [cli, 'scans', 'requeue'], {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          DATA_DIR: config.dataDir,
          DATABASE_URL: config.db.kind === 'pg' ? config.db.url : `file:${config.db.file}`,
          POSTKORB_KEYS: config.keys.inline ?? '',
          POSTKORB_INDEX_KEY: config.keys.indexKey ?? '',
          LOG_LEVEL: 'silent',
        },
        encoding: 'utf8',
        timeout: 60_000,
      })
      expect(requeue.stderr).toBe('')
      expect(JSON.parse(requeue.stdout.trim())).toEqual({ requeued: 1 })
      expect(await app.deps.store.attachments.getForCheck(id)).toMatchObject({ scanState: 'pending' })

      await app.deps.queue.work('upload.check', (payload, ctx) => checkUpload(app.deps, payload, ctx))
      expect((await settled(app, id, 40_000)).scanState).toBe('clean')
      const ready = await app.app.request('/readyz')
      expect(ready.status).toBe(200)
      expect((await readJson(ready)).failedScans).toBe(0)
      expect(await routed(app)).toBe(1)
    }, 120_000)
  })
})
