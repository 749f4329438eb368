import { createHash, randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Deps } from '../../deps.ts'
import { collectPdf } from '../../pdf/document.ts'
import type { PrintJob } from '../../store/notices.types.ts'
import { noticeKey } from './notices.crypto.ts'
import { deemedDelivery } from './notices.dates.ts'
import { enqueueReceipt } from './notices.receipt.ts'

type PrintDeps = Pick<Deps, 'store' | 'queue' | 'blobs' | 'keyring' | 'clock' | 'log' | 'config'>

/** One line of the manifest for the print service: ids, counts and a checksum, no names or addresses. */
export type ManifestEntry = {
  file: string
  printJobId: string
  noticeId: string
  reference: string
  pages: number
  bytes: number
  sha256: string
  reason: PrintJob['reason']
  queuedAt: string
  envelope: 'DL window envelope, DIN 5008 form B'
}

const COLUMNS: (keyof ManifestEntry)[] = [
  'file',
  'printJobId',
  'noticeId',
  'reference',
  'pages',
  'bytes',
  'sha256',
  'reason',
  'queuedAt',
  'envelope',
]
const csvCell = (v: string | number) =>
  /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v)

/**
 * Exports up to `limit` queued letters as one batch: `<outDir>/<batch>/<printJobId>.pdf` plus
 * manifest.json and manifest.csv. The files are written under a temporary directory name first
 * and renamed once the jobs are marked exported, so the print service never sees half a batch.
 * The PDFs hold the recipient's address (they are letters): the directory is created 0700.
 */
export async function exportPrintBatch(deps: PrintDeps, outDir: string, limit = 500) {
  const jobs = await deps.store.printJobs.listQueued(limit)
  if (jobs.length === 0) return null
  const now = deps.clock()
  const batch = `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`
  const finalDir = path.join(outDir, batch)
  const tmpDir = path.join(outDir, `.${batch}.tmp`)
  await mkdir(tmpDir, { recursive: true, mode: 0o700 })
  const manifest: ManifestEntry[] = []
  for (const job of jobs) {
    const notice = await deps.store.notices.getForJob(job.noticeId)
    if (!notice) continue
    const pdf = await collectPdf(
      deps.blobs.get(job.blobKey, { dek: noticeKey(deps.keyring, notice), blobId: job.id }),
    )
    const file = `${job.id}.pdf`
    await writeFile(path.join(tmpDir, file), pdf, { mode: 0o600 })
    manifest.push({
      file,
      printJobId: job.id,
      noticeId: notice.id,
      reference: notice.reference,
      pages: job.pages,
      bytes: pdf.length,
      sha256: createHash('sha256').update(pdf).digest('hex'),
      reason: job.reason,
      queuedAt: job.createdAt.toISOString(),
      envelope: 'DL window envelope, DIN 5008 form B',
    })
  }
  const json = {
    batch,
    exportedAt: now.toISOString(),
    letters: manifest.length,
    sheetsTotal: manifest.reduce((s, m) => s + m.pages, 0),
    entries: manifest,
  }
  await writeFile(path.join(tmpDir, 'manifest.json'), `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 })
  const csv = [COLUMNS.join(','), ...manifest.map((m) => COLUMNS.map((k) => csvCell(m[k])).join(','))].join(
    '\n',
  )
  await writeFile(path.join(tmpDir, 'manifest.csv'), `${csv}\n`, { mode: 0o600 })
  await deps.store.transaction(async (tx) => {
    await tx.printJobs.markExported(
      manifest.map((m) => m.printJobId),
      batch,
      now,
    )
    await tx.audit.append({
      actorKind: 'system',
      actorId: null,
      action: 'print.exported',
      subjectKind: 'print_batch',
      subjectId: batch,
      details: { letters: manifest.length },
    })
  })
  await rename(tmpDir, finalDir)
  deps.log.info({ batch, letters: manifest.length }, 'print batch exported')
  return { batch, dir: finalDir, letters: manifest.length, manifest }
}

/**
 * The print service took the batch over (handed to the post): the letters' notices get their
 * deemed delivery by post, unless an earlier online rule already fixed it.
 */
export async function markBatchHandedOver(deps: PrintDeps, batch: string) {
  const now = deps.clock()
  return deps.store.transaction(async (tx) => {
    const jobs = await tx.printJobs.markHandedOver(batch, now)
    for (const job of jobs) {
      const notice = await tx.notices.getForJob(job.noticeId)
      if (!notice) continue
      if (notice.deemedOn) {
        await enqueueReceipt(deps, tx, notice, 'letter_handed_over')
        continue
      }
      const deemed = deemedDelivery({
        channel: 'postal',
        providedAt: null,
        notifiedAt: null,
        retrievedAt: null,
        postedAt: now,
        configuredDays: deps.config.notices.deemedDays,
      })
      if (deemed)
        await tx.notices.update(notice.id, { deemedOn: deemed.deemedOn, legalBasis: deemed.legalBasis })
      await enqueueReceipt(deps, tx, notice, 'letter_handed_over')
    }
    await tx.audit.append({
      actorKind: 'system',
      actorId: null,
      action: 'print.handed_over',
      subjectKind: 'print_batch',
      subjectId: batch,
      details: { letters: jobs.length },
    })
    return jobs.length
  })
}
