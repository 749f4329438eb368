import path from 'node:path'
import type { BlobStore } from './blobs/blobs.port.ts'
import { createFsBlobStore } from './blobs/fs-blob-store.ts'
import type { Config } from './config.ts'
import { type Keyring, loadKeyring } from './crypto/keyring.ts'
import type { Logger } from './logger.ts'
import type { Mailer } from './mail/mailer.port.ts'
import { createMailer } from './mail/mailer.ts'
import { type Jobs, jobs } from './queue/jobs.catalog.ts'
import { createPgBossQueue } from './queue/pgboss/queue.ts'
import type { Queue } from './queue/queue.port.ts'
import { createSqliteQueue } from './queue/sqlite/queue.ts'
import { createScanner } from './scanner/clamd.ts'
import type { Scanner } from './scanner/scanner.port.ts'
import { type AnyStore, createStore } from './store/create-store.ts'
import type { Store } from './store/store.port.ts'

/** Everything a use case may depend on; tests hand in exactly the parts a use case picks. */
export type Deps = {
  config: Config
  log: Logger
  store: Store
  queue: Queue<Jobs>
  scanner: Scanner
  blobs: BlobStore
  keyring: Keyring
  mailer: Mailer
  clock: () => Date
}

/** Process state the HTTP layer reads (readiness turns 503 while draining). */
export type Lifecycle = { draining: boolean }
export type AppDeps = Deps & { lifecycle: Lifecycle }

/** Builds the real dependencies for the configured deployment; the caller closes them. */
export function buildDeps(config: Config, log: Logger): Deps {
  const keyring = loadKeyring(config.keys, (file) =>
    log.warn({ file }, 'generated a new key file for the embedded default; back it up'),
  )
  const store = createStore(config.db, log)
  const blobs = createFsBlobStore(path.join(config.dataDir, 'blobs'))
  // Uploads cut short by a crash leave temp files; a day is far beyond any live upload.
  blobs.sweepTemp(86_400_000).catch((err) => log.warn({ err }, 'blob temp sweep failed'))
  return {
    config,
    log,
    store,
    queue: createQueue(config, store, log),
    scanner: createScanner(config.scanner),
    blobs,
    keyring,
    mailer: createMailer(config.mail, log),
    clock: () => new Date(),
  }
}

function createQueue(config: Config, store: AnyStore, log: Logger): Queue<Jobs> {
  const common = {
    catalog: jobs,
    log: log.child({ component: 'queue' }),
    concurrency: config.queue.concurrency,
    pollMs: config.queue.pollMs,
  }
  if (store.dialect === 'sqlite') return createSqliteQueue({ ...common, store })
  if (config.db.kind !== 'pg') throw new Error('PostgreSQL store without a postgres DATABASE_URL')
  return createPgBossQueue({ ...common, store, connectionString: config.db.url })
}
