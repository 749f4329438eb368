import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type BenchModule, type Figure, formatNumber, formatTable, verdict } from './lib/figures.ts'

/**
 * `npm run bench [-- name…]`: runs every bench/*.bench.ts (or those whose name contains an argument),
 * prints one table and writes it as JSON to the temp dir. It reports; it never fails the build on a miss.
 */
const benchDir = path.dirname(fileURLToPath(import.meta.url))
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort()

const cpus = os.cpus()
const machine = {
  cores: cpus.length,
  model: cpus[0]?.model.trim() ?? 'unknown',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
}
const startedAt = new Date()

if (files.length === 0) {
  console.error(`no bench/*.bench.ts matches ${filters.join(', ')}`)
  process.exit(1)
}

const figures: Figure[] = []
const failures: { file: string; error: string }[] = []
for (const file of files) {
  process.stderr.write(`▶ ${file}\n`)
  try {
    const mod = (await import(pathToFileURL(path.join(benchDir, file)).href)) as BenchModule
    figures.push(...(await mod.run()))
  } catch (err) {
    // One broken bench must not hide the others' figures.
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err)
    failures.push({ file, error })
    process.stderr.write(`✖ ${file} failed: ${error}\n`)
  }
}
const seconds = (Date.now() - startedAt.getTime()) / 1000

console.log(
  `\nPostkorb bench · ${startedAt.toISOString()} · ${machine.cores} cores ${machine.model} · ` +
    `${machine.memoryGiB} GiB · Node ${machine.node} · ${machine.platform} · ${seconds.toFixed(0)} s\n`,
)
console.log(formatTable(figures))

const notes = figures.filter((f) => f.note)
if (notes.length > 0) {
  console.log('\nnotes:')
  for (const f of notes) console.log(`  ${f.name}: ${f.note}`)
}

const misses = figures.filter((f) => verdict(f) === 'MISS')
if (misses.length > 0) {
  console.log(`\n!! ${misses.length} target(s) missed:`)
  for (const f of misses) {
    console.log(
      `!!   ${f.name}: ${formatNumber(f.value)} ${f.unit}, target ${f.target?.op} ${f.target?.value}`,
    )
  }
} else {
  console.log(`\nall ${figures.filter((f) => f.target).length} targets met`)
}
for (const f of failures) console.log(`!! ${f.file} did not finish: ${f.error.split('\n')[0]}`)

const outDir = path.join(os.tmpdir(), 'postkorb-bench')
mkdirSync(outDir, { recursive: true })
const outFile = path.join(outDir, 'latest.json')
const results = figures.map((f) => ({ ...f, result: verdict(f) || undefined }))
writeFileSync(
  outFile,
  `${JSON.stringify({ startedAt, seconds, machine, figures: results, failures }, null, 2)}\n`,
)
console.log(`\nresults: ${outFile}`)
// Reports, never gates: a missed target is printed above, not turned into an exit code; a bench that crashed is a bug.
process.exit(failures.length > 0 ? 1 : 0)
