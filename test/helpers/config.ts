import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Config, parseConfig } from '../../src/config.ts'
import { generateKeyFile } from '../../src/crypto/keyring.ts'

/** A Config for tests, built from explicit variables only (never process.env). */
export function makeTestConfig(overrides: Record<string, string | undefined> = {}): Config {
  const dataDir = overrides.DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'postkorb-data-'))
  const keys = generateKeyFile()
  const [id, key] = Object.entries(keys.keys)[0] ?? []
  return parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    PORT: '0',
    POSTKORB_KEYS: `${id}:${key}`,
    POSTKORB_INDEX_KEY: keys.indexKey,
    QUEUE_POLL_MS: '100',
    ...overrides,
  })
}

/** Where tests find clamd: CLAMD_SOCKET from the environment or the project's script default. */
export const testClamdSocket = process.env.CLAMD_SOCKET ?? '/tmp/postkorb-clamd/run/clamd.sock'
