import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { noticeKey } from '../../src/features/notices/notices.crypto.ts'
import { runPrintCli } from '../../src/features/notices/print.cli.ts'
import { exportPrintBatch, markBatchHandedOver } from '../../src/features/notices/print.service.ts'
import { collectPdf } from '../../src/pdf/document.ts'
import { ADDRESS_FIELD, mm } from '../../templates/pdf/letter.ts'
import { describeBackends } from '../helpers/backends.ts'
import { readJson } from '../helpers/staff.ts'
import { readBack } from '../pdf/poppler.ts'
import {
  ADDRESS,
  activatedCitizen,
  getNotice,
  type NoticeWorld,
  noticeWorld,
  postPdfNotice,
  postTextNotice,
  samplePdf,
  waitNotice,
} from './notices-fixtures.ts'

type Word = { page: number; xMin: number; yMin: number; xMax: number; yMax: number; text: string }

/** pdftotext -bbox with both axes (points from the top left), for checking positions on the page. */
function wordBoxes(pdf: Buffer): Word[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postkorb-letter-'))
  try {
    const file = path.join(dir, 'letter.pdf')
    writeFileSync(file, pdf)
    const html = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' })
    const out: Word[] = []
    let page = 0
    for (const line of html.split('\n')) {
      if (line.includes('<page ')) page++
      const m = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)<\/word>/.exec(
        line,
      )
      if (m)
        out.push({
          page,
          xMin: +(m[1] ?? 0),
          yMin: +(m[2] ?? 0),
          xMax: +(m[3] ?? 0),
          yMax: +(m[4] ?? 0),
          text: m[5] ?? '',
        })
    }
    return out
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')

async function letterOf(w: NoticeWorld, noticeId: string) {
  const job = await w.t.deps.store.printJobs.getByNotice(noticeId)
  const notice = await w.t.deps.store.notices.getForJob(noticeId)
  if (!job || !notice) throw new Error('no letter')
  const pdf = await collectPdf(
    w.t.deps.blobs.get(job.blobKey, { dek: noticeKey(w.t.deps.keyring, notice), blobId: job.id }),
  )
  return { job, notice, pdf }
}

describeBackends('notices delivered by post', (kind) => {
  let w: NoticeWorld
  afterEach(async () => w?.close())

  it('renders a window-envelope letter with the address in the window, the reference and the notice pages appended', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w, { onlineComm: false })
    const { json } = await postPdfNotice(
      w,
      { customerNumber: c.customerNumber, digital: false, postalAddress: { lines: ADDRESS } },
      await samplePdf(2),
    )
    const n = await waitNotice(w, json.id, (x) => x.state === 'printing')
    expect(n.channelReason).toBe('online_communication_off,process_not_digital')
    const { job, pdf } = await letterOf(w, json.id)
    const back = readBack(pdf)
    expect(back.info.Pages).toBe('3')
    expect(job.pages).toBe(3)
    expect(back.pages[0]).toContain(n.reference)
    expect(back.pages[0]).toContain('Seite 1 von 1')
    expect(back.pages[0]).toContain('Anlage: Bescheid (2 Seiten)')
    expect(back.pages[1]).toContain('NOTICE PAGE 1 OF 2')
    expect(back.pages[2]).toContain('NOTICE PAGE 2 OF 2')
    expect(back.fonts.filter((f) => f.name.includes('DejaVu')).every((f) => f.embedded)).toBe(true)

    // Every word of the recipient lies in the recipient zone of the address field (the window).
    const words = wordBoxes(pdf).filter((x) => x.page === 1)
    const recipientWords = ADDRESS.join(' ').split(' ')
    for (const text of recipientWords) {
      const box = words.find((x) => decode(x.text) === text)
      expect(box, text).toBeDefined()
      if (!box) continue
      expect(box.xMin, text).toBeGreaterThanOrEqual(ADDRESS_FIELD.x)
      expect(box.xMax, text).toBeLessThanOrEqual(ADDRESS_FIELD.x + ADDRESS_FIELD.width)
      expect(box.yMin, text).toBeGreaterThanOrEqual(ADDRESS_FIELD.recipientY)
      expect(box.yMax, text).toBeLessThanOrEqual(ADDRESS_FIELD.y + ADDRESS_FIELD.height)
    }
    // The return address line sits in the window too, above the recipient.
    const officeWord = words.find((x) => x.text === 'Nordstadt')
    expect(officeWord).toBeDefined()
    expect(officeWord?.yMin).toBeGreaterThanOrEqual(ADDRESS_FIELD.y)
    expect(officeWord?.yMax).toBeLessThanOrEqual(ADDRESS_FIELD.recipientY)
    // The reference stands in the information block on the right (from 125 mm).
    const ref = words.find((x) => x.text === n.reference)
    expect(ref?.xMin).toBeGreaterThanOrEqual(mm(125) - 1)
    expect(ref?.yMin).toBeLessThan(mm(98.46))
  })

  it('renders a structured-text notice into the letter itself and uses the address from the citizen profile', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w, { onlineComm: false })
    const put = await w.t.app.request('/v1/profile/postal-address', {
      method: 'PUT',
      headers: c.headers(),
      body: JSON.stringify({ lines: ['Jörg Müßig', 'Am Ölberg 3a', '50667 Köln'] }),
    })
    expect(put.status).toBe(200)
    const sealed = await w.t.deps.store.postalAddresses.get(c.citizen.id)
    expect(sealed?.includes(Buffer.from('Ölberg'))).toBe(false)
    const { json } = await postTextNotice(w, {
      customerNumber: c.customerNumber,
      subject: 'Änderungsbescheid über Leistungen',
      text: { paragraphs: ['Absatz eins über die Änderung.', 'Absatz zwei über Rechtsbehelfe.'] },
    })
    await waitNotice(w, json.id, (x) => x.state === 'printing')
    const { pdf } = await letterOf(w, json.id)
    const back = readBack(pdf)
    const text = back.pages.join('\n')
    expect(text).toContain('Änderungsbescheid über Leistungen')
    expect(text).toContain('Absatz zwei über Rechtsbehelfe.')
    expect(text).toContain('Am Ölberg 3a')
    expect(back.pages[0]).toContain(`Seite 1 von ${back.pages.length}`)
  })

  it('exports queued letters with a manifest and records the hand-over as the posting date', async () => {
    w = await noticeWorld(kind)
    const ids: string[] = []
    for (let i = 0; i < 2; i++) {
      const { json } = await postTextNotice(w, {
        customerNumber: `K-POST-${i}`,
        digital: false,
        postalAddress: { lines: ADDRESS },
      })
      ids.push(json.id)
    }
    for (const id of ids) await waitNotice(w, id, (x) => x.state === 'printing')
    const out = mkdtempSync(path.join(os.tmpdir(), 'postkorb-print-'))
    try {
      const result = await exportPrintBatch(w.t.deps, out)
      expect(result?.letters).toBe(2)
      const files = readdirSync(result?.dir ?? '').sort()
      expect(files.filter((f) => f.endsWith('.pdf'))).toHaveLength(2)
      expect(files).toContain('manifest.json')
      expect(files).toContain('manifest.csv')
      const manifest = JSON.parse(readFileSync(path.join(result?.dir ?? '', 'manifest.json'), 'utf8'))
      expect(manifest.letters).toBe(2)
      expect(manifest.entries.map((e: { noticeId: string }) => e.noticeId).sort()).toEqual([...ids].sort())
      const csv = readFileSync(path.join(result?.dir ?? '', 'manifest.csv'), 'utf8')
        .trim()
        .split('\n')
      expect(csv).toHaveLength(3)
      expect(csv[0]).toBe('file,printJobId,noticeId,reference,pages,bytes,sha256,reason,queuedAt,envelope')
      for (const word of ['Mustermann', 'Heidestraße', 'Köln', 'Bewilligungsbescheid'])
        expect(`${JSON.stringify(manifest)}${csv.join('')}`).not.toContain(word)
      const entry = manifest.entries[0]
      expect(readBack(readFileSync(path.join(result?.dir ?? '', entry.file))).info.Pages).toBe(
        String(entry.pages),
      )
      expect(await exportPrintBatch(w.t.deps, out)).toBeNull()
      const lines: string[] = []
      const cli = { log: (l: string) => void lines.push(l), error: (l: string) => void lines.push(l) }
      expect(await runPrintCli(w.t.deps, 'export', { out }, cli)).toBe(0)
      expect(lines).toEqual(['no letters queued'])
      expect(await runPrintCli(w.t.deps, 'handed-over', {}, cli)).toBe(2)

      const exported = await getNotice(w, ids[0] ?? '')
      expect(exported.letter).toMatchObject({
        state: 'exported',
        exportBatch: result?.batch,
        reason: 'postal',
      })
      expect(await markBatchHandedOver(w.t.deps, result?.batch ?? '')).toBe(2)
      const handed = await getNotice(w, ids[0] ?? '')
      expect(handed.letter.state).toBe('handed_over')
      expect(handed.dates.legalBasis).toBe('sgb10_37_2_post')
      expect(handed.dates.deemedDeliveryOn).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })

  it('checks the PDF of a customer without a postbox before printing it, and refuses an infected one', async () => {
    w = await noticeWorld(kind)
    const clean = await postPdfNotice(
      w,
      { customerNumber: 'K-LETTER-ONLY', postalAddress: { lines: ADDRESS } },
      await samplePdf(1),
    )
    const eicar = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
    const bad = await postPdfNotice(
      w,
      { customerNumber: 'K-LETTER-ONLY-2', postalAddress: { lines: ADDRESS } },
      Buffer.concat([await samplePdf(1), Buffer.from(`\n%${eicar}\n`)]),
    )
    const ok = await waitNotice(w, clean.json.id, (x) => x.state === 'printing')
    expect(ok).toMatchObject({ citizenId: null, documentState: 'clean' })
    expect(readBack((await letterOf(w, ok.id)).pdf).info.Pages).toBe('2')
    const refused = await waitNotice(w, bad.json.id, (x) => x.state === 'refused')
    expect(refused.documentState).toBe('infected')
    expect(await w.t.deps.store.printJobs.getByNotice(bad.json.id)).toBeNull()
  })

  it('shows nothing of a letter in the citizen postbox', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w, { onlineComm: false })
    const { json } = await postTextNotice(w, {
      customerNumber: c.customerNumber,
      postalAddress: { lines: ADDRESS },
    })
    await waitNotice(w, json.id, (x) => x.state === 'printing')
    const list = await readJson(
      await w.t.app.request('/v1/postbox/messages?folder=inbox', { headers: c.headers() }),
    )
    expect(list.items).toHaveLength(0)
    expect(w.smtp?.messages).toHaveLength(0)
  })
})
