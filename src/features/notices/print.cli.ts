import path from 'node:path'
import type { Deps } from '../../deps.ts'
import { exportPrintBatch, markBatchHandedOver } from './print.service.ts'

export const printUsage = `usage:
  postkorb print export [--out <dir>] [--limit <n>]   queued letters → <dir>/<batch>/*.pdf + manifest.json/.csv (default dir DATA_DIR/print-export)
  postkorb print handed-over --batch <batch>          the print service took the batch over (sets postal deemed delivery)`

type Out = { log(line: string): void; error(line: string): void }

/** `postkorb print …`: returns the exit code (0 ok, 2 usage). */
export async function runPrintCli(
  deps: Pick<Deps, 'store' | 'queue' | 'blobs' | 'keyring' | 'clock' | 'log' | 'config'>,
  sub: string | undefined,
  opts: { out?: string; limit?: string; batch?: string },
  out: Out = console,
): Promise<number> {
  if (sub === 'export') {
    const limit = opts.limit ? Number(opts.limit) : 500
    if (!Number.isInteger(limit) || limit < 1) return usage(out, '--limit must be a positive integer')
    const dir = path.resolve(opts.out ?? path.join(deps.config.dataDir, 'print-export'))
    const result = await exportPrintBatch(deps, dir, limit)
    out.log(
      result ? `batch ${result.batch}: ${result.letters} letters in ${result.dir}` : 'no letters queued',
    )
    return 0
  }
  if (sub === 'handed-over') {
    if (!opts.batch) return usage(out, '--batch is required')
    out.log(`batch ${opts.batch}: ${await markBatchHandedOver(deps, opts.batch)} letters handed over`)
    return 0
  }
  return usage(out, `unknown subcommand: ${sub ?? ''}`)
}

function usage(out: Out, why: string) {
  out.error(`${why}\n${printUsage}`)
  return 2
}
