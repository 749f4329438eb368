// Writes .env.example from the config schema, so the documented variables cannot drift from
// the ones the app reads. `node .ci/env-example.ts` rewrites it; `--check` fails when stale.
import { readFileSync, writeFileSync } from 'node:fs'
import type { z } from 'zod'
import { envSchema } from '../src/config.ts'

type Def = { type?: string; defaultValue?: unknown; innerType?: z.ZodType; in?: z.ZodType; entries?: object }

const file = new URL('../.env.example', import.meta.url)

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { def: Def }).def
}

/** The allowed values of an enum, looking through default/optional/transform wrappers. */
function choices(schema: z.ZodType): string[] | null {
  const def = defOf(schema)
  if (def.type === 'enum' && def.entries) return Object.keys(def.entries)
  const inner = def.innerType ?? def.in
  return inner ? choices(inner) : null
}

function entry(key: string, schema: z.ZodType): string {
  const def = defOf(schema).defaultValue
  const values = choices(schema)
  const lines = [`# ${schema.description ?? ''}`]
  if (values) lines.push(`# One of: ${values.join(', ')}.`)
  lines.push(def === undefined ? `#${key}=` : `#${key}=${String(def)}`)
  return lines.join('\n')
}

export function renderEnvExample(): string {
  const head = [
    '# Postkorb configuration: copy to .env and uncomment what you change (process.env wins over .env).',
    '# Generated from src/config.ts by `node .ci/env-example.ts`: edit the schema, not this file.',
    '# A commented line shows the default; no value after = means unset.',
    '# A local clamd for development: `npm run clamd && bash .ci/clamd.sh env >> .env`.',
  ]
  const app = Object.entries(envSchema.shape).map(([key, schema]) => entry(key, schema as z.ZodType))
  const compose = [
    '# ---- compose.yaml ----',
    '# compose.yaml (production, no key file) also needs the keys above, e.g.',
    '#   POSTKORB_KEYS=k1:<openssl rand -base64 32>   POSTKORB_INDEX_KEY=<openssl rand -base64 32>',
    '# Password of the postkorb role in the postgres service (not read by the app); URL-safe characters.',
    'POSTGRES_PASSWORD=',
  ]
  return `${[head.join('\n'), ...app, compose.join('\n')].join('\n\n')}\n`
}

if (import.meta.main) {
  const next = renderEnvExample()
  if (process.argv.includes('--check')) {
    const current = readFileSync(file, 'utf8')
    if (current !== next) {
      console.error('.env.example is stale: run `node .ci/env-example.ts` and commit it')
      process.exit(1)
    }
    console.log('.env.example matches src/config.ts')
  } else {
    writeFileSync(file, next)
    console.log('wrote .env.example')
  }
}
