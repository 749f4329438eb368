import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { createClamdScanner, createScanner } from '../../src/scanner/clamd.ts'
import type { Scanner } from '../../src/scanner/scanner.port.ts'
import { testClamdSocket } from '../helpers/config.ts'
import { requireClamd } from '../helpers/peers.ts'
import { startMisbehavingClamd } from './misbehaving-clamd.ts'

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
const MiB = 1024 * 1024

async function clamdUnavailableReason(): Promise<string | null> {
  try {
    await createClamdScanner({ socket: testClamdSocket }, 5000).ping()
    return null
  } catch (err) {
    return `no clamd at ${testClamdSocket} (${(err as Error).message}); start one with \`npm run clamd\``
  }
}

const clamdReason = await clamdUnavailableReason()
if (clamdReason && requireClamd) throw new Error(`REQUIRE_CLAMD=1 but ${clamdReason}`)
if (clamdReason) console.warn(`[postkorb tests] SKIPPING real clamd scanner tests: ${clamdReason}`)

/** A stream that never ends: the scan can only finish by timeout or abort. */
function endless(): Readable {
  return new Readable({ read() {} })
}

function chunksOf(data: Buffer, size: number): Readable {
  const parts: Buffer[] = []
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size))
  return Readable.from(parts)
}

describe.skipIf(clamdReason !== null)('the clamd scanner against a real clamd', () => {
  let scanner: Scanner
  beforeAll(() => {
    scanner = createScanner({ socket: testClamdSocket, port: 3310, timeoutMs: 10_000 })
  })

  it('answers ping', async () => {
    await expect(scanner.ping()).resolves.toBeUndefined()
  })

  it('calls a clean buffer clean', async () => {
    const result = await scanner.scanStream(Readable.from([Buffer.from('Sehr geehrte Damen und Herren,\n')]))
    expect(result).toEqual({ verdict: 'clean' })
  })

  it('finds the EICAR test string and names the signature', async () => {
    const result = await scanner.scanStream(Readable.from([Buffer.from(EICAR)]))
    expect(result.verdict).toBe('infected')
    expect(result.verdict === 'infected' && result.signature).toMatch(/eicar/i)
  })

  it('finds EICAR split over many small chunks', async () => {
    const result = await scanner.scanStream(chunksOf(Buffer.from(EICAR), 7))
    expect(result.verdict).toBe('infected')
  })

  it('scans a 5 MiB stream in full and calls it clean', async () => {
    const result = await scanner.scanStream(chunksOf(Buffer.alloc(5 * MiB, 'a'), 64 * 1024))
    expect(result).toEqual({ verdict: 'clean' })
  })

  it('refuses a stream longer than clamd accepts instead of calling it clean', async () => {
    const big = chunksOf(Buffer.alloc(26 * MiB, 'b'), 256 * 1024)
    await expect(scanner.scanStream(big)).rejects.toMatchObject({ code: 'scanner.too_large' })
  })

  it('throws scanner.aborted when the caller aborts a scan in flight', async () => {
    const controller = new AbortController()
    const scan = scanner.scanStream(endless(), { signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    await expect(scan).rejects.toMatchObject({ code: 'scanner.aborted' })
  })

  it('throws scanner.timeout when the whole scan takes longer than the limit', async () => {
    const slow = createScanner({ socket: testClamdSocket, port: 3310, timeoutMs: 300 })
    await expect(slow.scanStream(endless())).rejects.toMatchObject({ code: 'scanner.timeout' })
  })

  it("passes the input stream's own error on unchanged and gives no verdict", async () => {
    const broken = new Readable({ read() {} })
    broken.push(Buffer.from('first part'))
    setTimeout(() => broken.destroy(new Error('decryption failed')), 50)
    await expect(scanner.scanStream(broken)).rejects.toThrow('decryption failed')
  })

  it('still answers after aborted scans (their connections were closed)', async () => {
    await expect(scanner.scanStream(Readable.from([Buffer.from('ok')]))).resolves.toEqual({
      verdict: 'clean',
    })
  })
})

describe('the clamd scanner when clamd is not there', () => {
  const gone = createScanner({ socket: '/nonexistent/postkorb/clamd.sock', port: 3310, timeoutMs: 2000 })

  it('ping throws scanner.unreachable', async () => {
    await expect(gone.ping()).rejects.toMatchObject({ code: 'scanner.unreachable' })
  })

  it('scanning throws scanner.unreachable and never returns a verdict', async () => {
    await expect(gone.scanStream(Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
      code: 'scanner.unreachable',
    })
  })

  it('without CLAMD_SOCKET or CLAMD_HOST every call throws scanner.not_configured', async () => {
    const none = createScanner({ port: 3310, timeoutMs: 2000 })
    await expect(none.ping()).rejects.toMatchObject({ code: 'scanner.not_configured' })
    await expect(none.scanStream(Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
      code: 'scanner.not_configured',
    })
  })
})

describe('the clamd scanner when clamd answers badly', () => {
  const cases: Array<[string, (s: Socket) => void]> = [
    ['an unknown reply', (s) => s.end('HELLO\0')],
    ['a read timeout reply', (s) => s.end('COMMAND READ TIMED OUT\0')],
    ['an error reply', (s) => s.end('stream: Can not open file ERROR\0')],
    ['a hang-up without a reply', (s) => s.end()],
    ['OK for a different stream name', (s) => s.end('other: OK\0')],
  ]
  for (const [name, answer] of cases) {
    it(`throws on ${name} and never says clean`, async () => {
      const bad = await startMisbehavingClamd(answer)
      try {
        const scanner = createScanner({ socket: bad.socket, port: 3310, timeoutMs: 2000 })
        await expect(scanner.scanStream(Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
          code: expect.stringMatching(/^scanner\./),
        })
      } finally {
        await bad.close()
      }
    })
  }

  it('ping throws scanner.bad_answer when the reply is not PONG', async () => {
    const bad = await startMisbehavingClamd((s) => s.end('NOPE\0'))
    try {
      const scanner = createScanner({ socket: bad.socket, port: 3310, timeoutMs: 2000 })
      await expect(scanner.ping()).rejects.toMatchObject({ code: 'scanner.bad_answer' })
    } finally {
      await bad.close()
    }
  })
})
