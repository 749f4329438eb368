/** A target a figure is held to: `<=` for costs and latencies, `>=` for rates and ratios. */
export type Target = { op: '<=' | '>='; value: number }

/** One measured number as the runner prints it; `note` says how it was measured or why it is missing. */
export type Figure = {
  name: string
  value: number
  unit: string
  target?: Target
  /** Per-round values behind a median, shown as a range so the noise is visible. */
  samples?: number[]
  note?: string
}

/** What every `bench/*.bench.ts` module exports. */
export type BenchModule = { run(): Promise<Figure[]> }

export type Verdict = 'pass' | 'MISS' | ''

/** pass/MISS for a figure with a target; a figure that could not be measured (NaN) misses it. */
export function verdict(f: Figure): Verdict {
  if (!f.target) return ''
  if (!Number.isFinite(f.value)) return 'MISS'
  return (f.target.op === '<=' ? f.value <= f.target.value : f.value >= f.target.value) ? 'pass' : 'MISS'
}

/** value ÷ target: at most 1 passes a `<=` target, at least 1 passes a `>=` target. */
export const ratioToTarget = (f: Figure): number | null => (f.target ? f.value / f.target.value : null)

/** Three significant digits, grouped thousands for big rates. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'n/a'
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '-∞'
  const abs = Math.abs(n)
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US')
  if (abs >= 100) return n.toFixed(0)
  if (abs >= 10) return n.toFixed(1)
  if (abs >= 1) return n.toFixed(2)
  return n.toFixed(3)
}

/** A plain-text table: figure, value, unit, target, ratio to target, result. */
export function formatTable(figures: Figure[]): string {
  const header = ['figure', 'value', 'unit', 'rounds (min–max)', 'target', 'ratio', 'result']
  const rows = figures.map((f) => {
    const ratio = ratioToTarget(f)
    return [
      f.name,
      formatNumber(f.value),
      f.unit,
      f.samples && f.samples.length > 1
        ? `${formatNumber(Math.min(...f.samples))}–${formatNumber(Math.max(...f.samples))}`
        : '',
      f.target ? `${f.target.op} ${formatNumber(f.target.value)}` : '',
      ratio === null ? '' : `${formatNumber(ratio)}×`,
      verdict(f),
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const numeric = new Set([1, 5])
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}
