import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { withConfigTable } from './config.docs.ts'

it('the README configuration table matches the config schema (node src/config.docs.ts rewrites it)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  expect(withConfigTable(readme)).toBe(readme)
})
