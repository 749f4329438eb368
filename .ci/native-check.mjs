// npm 11 skips dependency install scripts that allowScripts does not approve. Postkorb's native
// modules must work without them (shipped prebuilds, platform packages): load each one for real.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(new URL('../package.json', import.meta.url))
const checks = {
  'better-sqlite3': (m) => new m(':memory:').prepare('select 1 as one').get().one === 1,
  argon2: (m) => typeof m.hash === 'function',
  esbuild: (m) => m.transformSync('let a: number = 1', { loader: 'ts' }).code.includes('let a = 1'),
  sharp: (m) => typeof m.versions?.vips === 'string',
}
let failed = 0
for (const [name, works] of Object.entries(checks)) {
  if (!existsSync(new URL(`../node_modules/${name}/package.json`, import.meta.url))) continue
  try {
    if (!works(require(name))) throw new Error('loaded but did not work')
    console.log(`native ok: ${name}`)
  } catch (err) {
    failed++
    console.error(`native FAILED: ${name}: ${err.message}`)
  }
}
process.exit(failed ? 1 : 0)
