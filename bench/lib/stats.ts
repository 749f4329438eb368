import { setTimeout as sleep } from 'node:timers/promises'

export { sleep }

/** Median of the samples (NaN for none). */
export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}

/** Nearest-rank percentile; samples may hold Infinity for jobs that never ran, which then shows. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN
}

/** Milliseconds fn took (monotonic clock). */
export async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

/** Resolves true once cond holds, false when timeoutMs passes first. */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 2,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (await cond()) return true
    await sleep(stepMs)
  }
  return cond()
}

/** Progress for the person waiting; the table itself goes to stdout. */
export const progress = (msg: string) => process.stderr.write(`  · ${msg}\n`)
