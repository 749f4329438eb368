import { readFileSync, writeFileSync } from 'node:fs'
import { envSchema } from './config.ts'

/** The README's configuration table, made from the schema so the two cannot drift apart. */
export function configTable(): string {
  const rows = Object.entries(envSchema.shape).map(([key, schema]) => {
    const def = (schema as { def?: { defaultValue?: unknown } }).def?.defaultValue
    const shown = def === undefined ? '–' : `\`${String(def)}\``
    return `| \`${key}\` | ${shown} | ${(schema.description ?? '').replaceAll('|', '\\|')} |`
  })
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n')
}

const START = '<!-- config-table:start -->'
const END = '<!-- config-table:end -->'

/** README text with the table between its markers replaced by the current one. */
export function withConfigTable(readme: string): string {
  const from = readme.indexOf(START)
  const to = readme.indexOf(END)
  if (from < 0 || to < from) throw new Error('README has no config-table markers')
  return `${readme.slice(0, from + START.length)}\n${configTable()}\n${readme.slice(to)}`
}

if (import.meta.main) {
  const file = new URL('../README.md', import.meta.url)
  const readme = readFileSync(file, 'utf8')
  writeFileSync(file, withConfigTable(readme))
  console.log('README configuration table written')
}
