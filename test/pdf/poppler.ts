import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** Reads a PDF back with poppler-utils (pdftotext, pdfinfo, pdffonts), the tools .ci/run installs. */
export type ReadBack = {
  /** pdftotext per page (-layout off), in page order. */
  pages: string[]
  info: Record<string, string>
  /** The XMP packet as pdfinfo -meta prints it. */
  xmp: string
  fonts: { name: string; type: string; embedded: boolean }[]
  /** Words with their boxes (pdftotext -bbox): page width and each word's xMin/xMax. */
  words: { page: number; pageWidth: number; xMin: number; xMax: number; text: string }[]
}

export function readBack(pdf: Buffer): ReadBack {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postkorb-pdf-'))
  try {
    const file = path.join(dir, 'doc.pdf')
    writeFileSync(file, pdf)
    const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' })
    const text = run('pdftotext', '-enc', 'UTF-8', file, '-')
    const pages = text.split('\f').slice(0, -1)
    const info = Object.fromEntries(
      run('pdfinfo', file)
        .split('\n')
        .map((l) => /^([^:]+):\s*(.*)$/.exec(l))
        .filter((m) => m !== null)
        .map((m) => [m[1] ?? '', m[2] ?? '']),
    )
    const xmp = run('pdfinfo', '-meta', file)
    const fonts = run('pdffonts', file)
      .split('\n')
      .slice(2)
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const cols = l.trim().split(/\s+/)
        // name, type (1–2 words), encoding, emb, sub, uni, object id, generation
        return { name: cols[0] ?? '', type: cols.slice(1, -6).join(' '), embedded: cols.at(-5) === 'yes' }
      })
    return { pages, info, xmp, fonts, words: words(run('pdftotext', '-bbox', file, '-')) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function words(html: string): ReadBack['words'] {
  const out: ReadBack['words'] = []
  let page = 0
  let pageWidth = 0
  for (const line of html.split('\n')) {
    const p = /<page width="([\d.]+)"/.exec(line)
    if (p) {
      page++
      pageWidth = Number(p[1])
      continue
    }
    const w = /<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*)<\/word>/.exec(line)
    if (w) out.push({ page, pageWidth, xMin: Number(w[1]), xMax: Number(w[2]), text: w[3] ?? '' })
  }
  return out
}

/** Whitespace runs (line and page breaks included) folded to one space, for matching wrapped phrases. */
export const flat = (s: string) => s.replace(/\s+/g, ' ')

export const occurrences = (haystack: string, needle: string) => haystack.split(needle).length - 1
