import { createCipheriv, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto'
import { distinctPrefixes, searchTerms } from './normalise.ts'

/**
 * Blind index for search over encrypted text (architecture "Data and crypto", issue 4): a document
 * becomes the keyed tokens of its folded terms and their prefixes; a query becomes one token per term,
 * and a message matches when it holds all of them (AND). Infix search is not offered: "geld" does not
 * find "Kindergeld", because only prefixes are indexed; suffix or n-gram tokens would multiply the rows
 * and tell more about each message.
 * The keyed function is AES-256 CBC-MAC over a length-prefixed encoding, not HMAC-SHA256: the same PRF
 * guarantee, computed for a whole document in a few AES calls instead of one HMAC per token (bench/blind-index).
 */

/** Bytes per token: a per-citizen index stays far below 2^64 distinct terms, so collisions do not happen. */
export const tokenBytes = 16

/** At most this many tokens per document (terms and prefixes), whatever the caller hands in. */
export const maxTokensPerDocument = 10_000

/** A citizen's index key: derived once per request, never stored. */
export type IndexKey = { readonly version: 'v1'; readonly aes: KeyObject }

const salt = Buffer.from('postkorb blind index')
const info = 'postkorb search v1'

/**
 * The citizen's index key: HKDF-SHA256 of their data key, bound to the citizen id. Destroying the
 * data key (profile deletion) also makes every token of theirs, backups included, untestable.
 */
export function deriveIndexKey(dek: Buffer, citizenId: string): IndexKey {
  if (dek.length !== 32) throw new Error('blind index: the data key must be 32 bytes')
  const derived = hkdfSync('sha256', dek, salt, Buffer.from(`${info}\0${citizenId}`), 32)
  return { version: 'v1', aes: createSecretKey(Buffer.from(derived)) }
}

/** Distinct tokens of a document's texts (subject, body, file names): every term and its prefixes. */
export function indexTokens(key: IndexKey, texts: readonly string[]): Buffer[] {
  return termTokens(key, distinctPrefixes(searchTerms(texts), maxTokensPerDocument))
}

/**
 * One token per distinct query term; a message matches when it holds every one. Empty when no term has
 * three characters: the caller should say "query too short" rather than list everything.
 */
export function queryTokens(key: IndexKey, query: string): Buffer[] {
  return termTokens(key, searchTerms(query))
}

/** Tokens of strings that are already folded terms or prefixes, in their order; 16 bytes each. */
export function termTokens(key: IndexKey, terms: readonly string[]): Buffer[] {
  const { firstBlocks, longTerms } = encodeTerms(terms)
  // CBC-MAC of every term at once: pass k encrypts block k of each term still running, XORed with that
  // term's previous output. ECB is only the batching: each 16-byte block is one AES call in its own chain,
  // so no two chains interact and equal blocks can only come from equal terms, which the index shows anyway.
  const aes = createCipheriv('aes-256-ecb', key.aes, null).setAutoPadding(false)
  const first = aes.update(firstBlocks)
  const tokens = terms.map((_, i) => first.subarray(i * tokenBytes, (i + 1) * tokenBytes))
  let running = longTerms
  for (let k = 1; running.length > 0; k++) {
    const input = Buffer.alloc(running.length * tokenBytes)
    running.forEach(({ term, rest }, j) => {
      const previous = tokens[term] ?? Buffer.alloc(tokenBytes)
      const block = rest.subarray((k - 1) * tokenBytes, k * tokenBytes)
      for (let b = 0; b < tokenBytes; b++) input[j * tokenBytes + b] = (previous[b] ?? 0) ^ (block[b] ?? 0)
    })
    const output = aes.update(input)
    running.forEach(({ term }, j) => {
      tokens[term] = output.subarray(j * tokenBytes, (j + 1) * tokenBytes)
    })
    running = running.filter(({ rest }) => rest.length > k * tokenBytes)
  }
  return tokens
}

type LongTerm = { term: number; rest: Buffer }

// Each term as [UTF-8 length] ‖ UTF-8 bytes ‖ zeros to whole blocks. The leading length makes the
// encodings prefix-free, the condition under which CBC-MAC is a PRF on variable-length input. Block 0 of
// every term goes into one buffer for one AES pass; the rest of the few longer terms is kept aside.
function encodeTerms(terms: readonly string[]): { firstBlocks: Buffer; longTerms: LongTerm[] } {
  const firstBlocks = Buffer.alloc(terms.length * tokenBytes)
  const longTerms: LongTerm[] = []
  terms.forEach((term, i) => {
    const at = i * tokenBytes
    if (writeShortAscii(term, firstBlocks, at)) return
    const bytes = Buffer.from(term, 'utf8')
    if (bytes.length > 255) throw new Error('blind index: a term is longer than 255 bytes')
    firstBlocks[at] = bytes.length
    bytes.copy(firstBlocks, at + 1, 0, tokenBytes - 1)
    if (bytes.length >= tokenBytes) longTerms.push({ term: i, rest: bytes.subarray(tokenBytes - 1) })
  })
  return { firstBlocks, longTerms }
}

// The common case without a native call: up to 15 ASCII characters fit block 0 with their length byte.
function writeShortAscii(term: string, blocks: Buffer, at: number): boolean {
  if (term.length >= tokenBytes) return false
  for (let c = 0; c < term.length; c++) {
    const code = term.charCodeAt(c)
    if (code > 0x7f) return false
    blocks[at + 1 + c] = code
  }
  blocks[at] = term.length
  return true
}
