import { envSchema } from './config.ts'

/** The README's configuration table, made from the schema so the two cannot drift apart. */
export function configTable(): string {
  const rows = Object.entries(envSchema.shape).map(([key, schema]) => {
    const def = (schema as { def?: { defaultValue?: unknown } }).def?.defaultValue
    const shown = def === undefined ? '–' : `\`${String(def)}\``
    return `| \`${key}\` | ${shown} | ${schema.description ?? ''} |`
  })
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n')
}

if (import.meta.main) console.log(configTable())
