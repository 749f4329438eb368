import {
  createCipheriv,
  createHash,
  createHmac,
  createSecretKey,
  hash,
  type KeyObject,
  randomBytes,
} from 'node:crypto'
import {
  deriveIndexKey,
  type IndexKey,
  indexTokens,
  maxTokensPerDocument,
  queryTokens,
  termTokens,
} from '../src/crypto/blind-index.ts'
import { distinctPrefixes, searchTerms } from '../src/crypto/normalise.ts'
import type { Figure } from './lib/figures.ts'
import { median, progress } from './lib/stats.ts'

/**
 * Blind-index cost (issue 4): the keyed PRF per token for the candidates measured side by side, and
 * indexing a 1 KiB German message end to end. The issue measured ~86k createHmac/s, which at 40 tokens
 * capped a core at ~2k messages/s; with prefixes a 1 KiB message has ~480 tokens, so the message figure
 * is held to that 2k as its floor and its ratio says how far above it the shipped construction runs.
 */

const subject = 'Weiterbewilligungsantrag: Nachweise zu Kindergeld und Mietkosten (Frau Müller)'
const body = [
  'Sehr geehrte Damen und Herren,',
  'anbei übersende ich Ihnen wie besprochen die fehlenden Unterlagen für meinen Weiterbewilligungsantrag.',
  'Es handelt sich um den aktuellen Kindergeldbescheid der Familienkasse, die Nebenkostenabrechnung',
  'meines Vermieters für das vergangene Jahr sowie die Gehaltsabrechnungen meiner Teilzeitbeschäftigung',
  'von Januar bis März. Die Heizkostennachzahlung in Höhe von 312,40 Euro ist am 15. des Monats fällig;',
  'ich bitte um Prüfung, ob diese Kosten im Rahmen der Kosten der Unterkunft übernommen werden können.',
  'Außerdem hat sich meine Bankverbindung geändert, die neue IBAN finden Sie in der Veränderungsmitteilung.',
  'Mein Sohn besucht seit dem ersten September die Grundschule, die Schulbescheinigung liegt ebenfalls bei.',
  'Für Rückfragen erreichen Sie mich vormittags telefonisch oder über dieses Postfach.',
  'Mit freundlichen Grüßen',
].join('\n')
const message = `${subject}\n${body}`.slice(0, 1024)

const rounds = 7
const roundMs = 150

/** Operations per second over `rounds` rounds of about `roundMs` each; the median with its samples. */
function rate(fn: () => unknown, perCall = 1): { value: number; samples: number[] } {
  for (let i = 0; i < 200; i++) fn()
  const samples: number[] = []
  for (let r = 0; r < rounds; r++) {
    let calls = 0
    const t0 = performance.now()
    let elapsed = 0
    while (elapsed < roundMs) {
      for (let i = 0; i < 20; i++) fn()
      calls += 20
      elapsed = performance.now() - t0
    }
    samples.push((calls * perCall * 1000) / elapsed)
  }
  return { value: median(samples), samples }
}

/** The HMAC-SHA256 state after the key block, reused per token: the standard ipad/opad precomputation. */
function hmacWithKeyedState(key: Buffer) {
  const pad = (byte: number) => Buffer.from(Buffer.alloc(64, byte).map((b, i) => b ^ (key[i] ?? 0)))
  const inner = createHash('sha256').update(pad(0x36))
  const outer = createHash('sha256').update(pad(0x5c))
  return (term: string) => outer.copy().update(inner.copy().update(term).digest()).digest().subarray(0, 16)
}

/** AES-256-ECB over SHA-256 of every token: the same PRP as ours, without the short-term encoding. */
function hashThenAes(key: IndexKey, tokens: string[]): Buffer {
  const blocks = Buffer.allocUnsafe(tokens.length * 16)
  for (const [i, t] of tokens.entries()) hash('sha256', t, 'buffer').copy(blocks, i * 16, 0, 16)
  return createCipheriv('aes-256-ecb', key.aes, null).setAutoPadding(false).update(blocks)
}

export async function run(): Promise<Figure[]> {
  const dek = randomBytes(32)
  const key = deriveIndexKey(dek, 'bench-citizen')
  const rawKey = randomBytes(32)
  const keyObject = createSecretKey(rawKey)
  const documentStrings = () => distinctPrefixes(searchTerms([subject, body]), maxTokensPerDocument)
  const tokens = documentStrings()
  const n = tokens.length
  const long = tokens.filter((t) => Buffer.byteLength(t) > 15).length
  progress(`1 KiB message: ${searchTerms(message).length} terms, ${n} tokens (${long} over 15 bytes)`)

  const perToken = (name: string, fn: () => unknown, note: string): Figure => ({
    name: `token PRF: ${name}`,
    unit: 'tokens/s',
    ...rate(fn, n),
    note,
  })
  const keyed = hmacWithKeyedState(rawKey)
  const figures: Figure[] = [
    perToken(
      'createHmac per token, Buffer key',
      () => tokens.map((t) => createHmac('sha256', rawKey).update(t).digest()),
      'the issue baseline: the key is imported again for every token',
    ),
    perToken(
      'createHmac per token, KeyObject',
      () => tokens.map((t) => createHmac('sha256', keyObject).update(t).digest()),
      'same HMAC, key imported once',
    ),
    perToken(
      'HMAC-SHA256, keyed state reused (Hash.copy)',
      () => tokens.map(keyed),
      'ipad/opad states computed once, copied per token',
    ),
    perToken(
      'SHA-256 of every token + one AES-256-ECB pass',
      () => hashThenAes(key, tokens),
      'one crypto.hash per token dominates',
    ),
    perToken(
      'postkorb: length-prefixed CBC-MAC (AES-256), batched',
      () => termTokens(key, tokens),
      `the shipped construction; ${long} of ${n} tokens need a second block`,
    ),
  ]

  const perMessage = (name: string, fn: () => unknown, target: boolean, note: string): Figure => ({
    name,
    unit: 'msgs/s',
    ...rate(fn),
    ...(target ? { target: { op: '>=' as const, value: 2000 } } : {}),
    note,
  })
  const hmacMessage = (hmacKey: Buffer | KeyObject) => () =>
    documentStrings().map((t) => createHmac('sha256', hmacKey).update(t).digest().subarray(0, 16))
  figures.push(
    {
      name: 'tokens per 1 KiB German message (terms + prefixes)',
      value: n,
      unit: 'tokens',
      note: `${searchTerms(message).length} distinct terms; each token is one search_tokens row`,
    },
    perMessage(
      'fold + split + prefixes of a 1 KiB message (no PRF)',
      documentStrings,
      false,
      'the normalisation share of the cost',
    ),
    perMessage(
      'index a 1 KiB message, createHmac per token, Buffer key',
      hmacMessage(rawKey),
      false,
      'same normalisation, the issue baseline PRF',
    ),
    perMessage(
      'index a 1 KiB message, createHmac per token, KeyObject',
      hmacMessage(keyObject),
      false,
      'same normalisation, the fastest HMAC-SHA256 Node offers',
    ),
    perMessage(
      'index a 1 KiB German message (subject + body), one core',
      () => indexTokens(key, [subject, body]),
      true,
      'indexTokens end to end; ratio = multiple of the 2,000 msgs/s the issue measured as the cap',
    ),
    {
      name: 'search: derive index key + tokens of a 2-word query',
      unit: 'µs',
      ...invert(rate(() => queryTokens(deriveIndexKey(dek, 'bench-citizen'), 'Kindergeld Nachweis'))),
      target: { op: '<=', value: 100 },
      note: 'HKDF + fold + PRF per search; target: 1% of the 10 ms search p95 budget',
    },
  )
  return figures
}

const invert = ({ value, samples }: { value: number; samples: number[] }) => ({
  value: 1e6 / value,
  samples: samples.map((s) => 1e6 / s),
})
