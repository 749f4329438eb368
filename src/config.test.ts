import { describe, expect, it } from 'vitest'
import { type ConfigError, parseConfig } from './config.ts'

describe('config', () => {
  it('defaults to the embedded SQLite file under DATA_DIR on port 3000', () => {
    const c = parseConfig({ DATA_DIR: '/tmp/pk' })
    expect(c.db).toEqual({ kind: 'sqlite', file: '/tmp/pk/postkorb.db' })
    expect(c.http.port).toBe(3000)
    expect(Object.isFrozen(c.http)).toBe(true)
  })

  it('selects PostgreSQL by DATABASE_URL', () => {
    const c = parseConfig({ DATABASE_URL: 'postgres://u@h/db' })
    expect(c.db.kind).toBe('pg')
  })

  it('names every bad variable on its own line', () => {
    try {
      parseConfig({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' })
      expect.unreachable()
    } catch (err) {
      const lines = (err as ConfigError).lines
      expect(lines).toHaveLength(3)
      expect(lines.some((l) => l.startsWith('config error: PORT:') && l.includes('"abc"'))).toBe(true)
      expect(lines.some((l) => l.startsWith('config error: LOG_LEVEL:'))).toBe(true)
      expect(lines.some((l) => l.startsWith('config error: DATABASE_URL:'))).toBe(true)
    }
  })

  it('requires the index key when keys come from the environment', () => {
    expect(() => parseConfig({ POSTKORB_KEYS: 'k1:AAAA' })).toThrow(/POSTKORB_INDEX_KEY/)
  })

  it('never generates keys in production', () => {
    const c = parseConfig({ NODE_ENV: 'production' })
    expect(c.keys.generateIfMissing).toBe(false)
    expect(c.scanner.required).toBe(true)
  })
})
