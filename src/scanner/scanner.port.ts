import type { Readable } from 'node:stream'
import { errorFactory } from '../errors.ts'

/** Only these two answers exist: anything else clamd says, or fails to say, is a thrown error. */
export type ScanVerdict = { verdict: 'clean' } | { verdict: 'infected'; signature: string }

export type ScanOptions = {
  /** Aborts the scan (job lease expired, worker stopping); the scan then throws scanner.aborted. */
  signal?: AbortSignal
}

/** The virus scanner as the domain sees it; fail-closed by construction. */
export type Scanner = {
  /** Resolves when the scanner answers right now; throws otherwise (used by /readyz). */
  ping(): Promise<void>
  /** Scans the whole stream; resolves only on an explicit clean or infected answer for all of it. */
  scanStream(stream: Readable, options?: ScanOptions): Promise<ScanVerdict>
}

/** Every error is retryable except too_large: clamd refuses that content on every attempt. */
export const scannerErrors = errorFactory('scanner', {
  not_configured: { status: 503, title: 'Virus scanner not configured' },
  unreachable: { status: 503, title: 'Virus scanner unreachable' },
  timeout: { status: 503, title: 'Virus scan timed out' },
  aborted: { status: 503, title: 'Virus scan aborted' },
  bad_answer: { status: 503, title: 'Virus scanner gave no usable answer' },
  too_large: { status: 413, title: 'File larger than the virus scanner accepts', retryable: false },
})
