// The npm registry reachable here serves only some of Biome's platform packages; for the others
// npm records nothing in package-lock.json and `npm ci` then refuses the lock ("Missing: …").
// This adds those entries (platform-tagged, so no machine ever fetches them). Run it after
// regenerating the lock: node .ci/lock-biome-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs'

const file = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(file, 'utf8'))
const biome = lock.packages['node_modules/@biomejs/biome']
const platforms = Object.keys(biome?.optionalDependencies ?? {})
let added = 0
for (const name of platforms) {
  const key = `node_modules/${name}`
  if (lock.packages[key]) continue
  const [, os, cpu, libc] = /cli-([a-z0-9]+)-([a-z0-9]+)(?:-(musl))?$/.exec(name) ?? []
  if (!os || !cpu) throw new Error(`unexpected Biome platform package ${name}`)
  lock.packages[key] = {
    version: biome.optionalDependencies[name],
    cpu: [cpu],
    dev: true,
    ...(os === 'linux' ? { libc: [libc ?? 'glibc'] } : {}),
    license: biome.license,
    optional: true,
    os: [os],
    engines: biome.engines,
  }
  added++
}
const byPath = ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(byPath))
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`lock: added ${added} Biome platform entries`)
