import { convert } from 'html-to-text'

/**
 * The new text of an emailed reply without the quoted history mail clients append: German and English
 * attribution lines ("Am … schrieb …:", "On … wrote:", also wrapped over two lines), Outlook separators
 * ("-----Ursprüngliche Nachricht-----", "-----Original Message-----", a "Von:/From:" block followed by
 * "Gesendet:/Sent:/Datum:/Date:", the underscore rule of Outlook on the web) and `>` quoted lines.
 */
export function stripQuotedHistory(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const cut = historyStart(lines)
  const before = cut < 0 ? lines : lines.slice(0, cut)
  // A rule drawn right above the quoted header (Outlook's <hr>) belongs to the history too.
  while (cut >= 0 && before.length > 0 && /^[\s\-_=*]*$/.test(before.at(-1) ?? '')) before.pop()
  const kept = before.filter((l) => !/^\s*>/.test(l))
  return kept
    .map((l) => l.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

const SEPARATOR =
  /^\s*-{2,}\s*(ursprüngliche nachricht|original message|originalnachricht|weitergeleitete nachricht|forwarded message)\s*-{2,}\s*$/i
const UNDERSCORE_RULE = /^\s*_{10,}\s*$/
const FROM_FIELD = /^\s*\*?(von|from)\s*:\*?\s*\S/i
const OUTLOOK_FIELD = /^\s*\*?(gesendet|sent|datum|date|an|to|betreff|subject|cc)\s*:/i
const ATTRIBUTION = [
  /^\s*am\s.{4,}\sschrieb\s.*:\s*$/i,
  /^\s*on\s.{4,}\swrote:\s*$/i,
  /^.{2,}\sschrieb am\s.{4,}:\s*$/i,
  /^\s*le\s.{4,}\sa écrit\s*:\s*$/i,
]

/** The index of the first line of quoted history, or -1. */
function historyStart(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (SEPARATOR.test(line)) return i
    if (UNDERSCORE_RULE.test(line) && FROM_FIELD.test(nextText(lines, i))) return i
    if (FROM_FIELD.test(line) && outlookBlockFollows(lines, i)) return i
    // Clients wrap long attribution lines: try the line alone and joined with the next one or two.
    for (let span = 1; span <= 3 && i + span <= lines.length; span++) {
      const joined = lines
        .slice(i, i + span)
        .map((l) => l.trim())
        .join(' ')
      if (span > 1 && (lines[i + span - 1] ?? '').trim() === '') break
      if (ATTRIBUTION.some((re) => re.test(joined))) return i
    }
  }
  return -1
}

function nextText(lines: readonly string[], i: number): string {
  for (let j = i + 1; j < lines.length && j <= i + 3; j++)
    if ((lines[j] ?? '').trim() !== '') return lines[j] ?? ''
  return ''
}

// "Von: …" only starts a quote when Outlook's other header fields follow it within the next lines.
function outlookBlockFollows(lines: readonly string[], i: number): boolean {
  for (let j = i + 1; j < lines.length && j <= i + 4; j++) if (OUTLOOK_FIELD.test(lines[j] ?? '')) return true
  return false
}

/**
 * Plain text of an HTML-only reply: markup, scripts, styles and images dropped, links as their text,
 * quoted blocks (blockquote, Gmail's and Outlook's reply containers) left out before the text stripper runs.
 */
export function htmlToReplyText(html: string): string {
  return convert(html, {
    wordwrap: false,
    limits: { maxInputLength: 2_000_000, maxDepth: 100, ellipsis: '…' },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'blockquote', format: 'skip' },
      { selector: 'div.gmail_quote', format: 'skip' },
      { selector: 'div.moz-cite-prefix', format: 'skip' },
      { selector: 'head', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'script', format: 'skip' },
    ],
  })
}
