import { createHash } from 'node:crypto'
import type { AuditEntry, AuditInput } from './store.types.ts'

export const GENESIS_HASH: Buffer = Buffer.alloc(32)

/** The hash of one entry: SHA-256 over the previous hash and a canonical encoding of the entry. */
export function auditHash(prevHash: Buffer, seq: number, at: Date, input: Required<AuditInput>): Buffer {
  const canonical = JSON.stringify([
    seq,
    at.getTime(),
    input.actorKind,
    input.actorId,
    input.action,
    input.subjectKind,
    input.subjectId,
    input.officeId,
    sortKeys(input.details),
  ])
  return createHash('sha256').update(prevHash).update(canonical).digest()
}

export function completeAuditInput(input: AuditInput): Required<AuditInput> {
  return {
    actorKind: input.actorKind,
    actorId: input.actorId ?? null,
    action: input.action,
    subjectKind: input.subjectKind ?? null,
    subjectId: input.subjectId ?? null,
    officeId: input.officeId ?? null,
    details: input.details ?? {},
  }
}

/** Checks a batch continuing from prevHash; returns the first bad seq or the last hash. */
export function checkAuditBatch(
  prevHash: Buffer,
  entries: AuditEntry[],
): { brokenAt: number; reason: string } | { last: Buffer } {
  let prev = prevHash
  for (const e of entries) {
    if (!e.prevHash.equals(prev))
      return { brokenAt: e.seq, reason: 'prev_hash does not match the previous entry' }
    const expect = auditHash(prev, e.seq, e.at, e)
    if (!expect.equals(e.hash)) return { brokenAt: e.seq, reason: 'hash does not match the entry contents' }
    prev = e.hash
  }
  return { last: prev }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    )
  }
  return value
}
