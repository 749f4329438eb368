import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'

/**
 * A real WebAuthn authenticator in software (no browser or security key runs here): an EC P-256
 * key pair, "none" attestation, ES256 assertions with a signature counter. What it produces goes
 * through the server's real verification, so tests can also make it lie (origin, challenge, counter).
 */
export type SoftAuthenticator = {
  /** base64url credential id, set by register(). */
  readonly credentialId: string
  /** The counter the next assertion will carry minus one. */
  signCount: number
  register(options: PublicKeyCredentialCreationOptionsJSON, lie?: Lie): RegistrationResponseJSON
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    lie?: Lie & { signCount?: number },
  ): AuthenticationResponseJSON
}
type Lie = { origin?: string; challenge?: string; rpId?: string }

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_AT = 0x40
const COSE = { kty: 1, alg: 3, crv: -1, x: -2, y: -3, EC2: 2, ES256: -7, P256: 1 } as const

export function createSoftAuthenticator(opts: { origin: string }): SoftAuthenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const credentialId = randomBytes(16)
  let userHandle: string | undefined
  const auth: SoftAuthenticator = {
    credentialId: credentialId.toString('base64url'),
    signCount: 0,
    register(options, lie = {}) {
      userHandle = options.user.id
      const clientData = clientDataJSON(
        'webauthn.create',
        lie.challenge ?? options.challenge,
        lie.origin ?? opts.origin,
      )
      const authData = Buffer.concat([
        rpIdHash(lie.rpId ?? options.rp.id ?? ''),
        Buffer.from([FLAG_UP | FLAG_UV | FLAG_AT]),
        u32(auth.signCount),
        Buffer.alloc(16), // AAGUID: zero for "none" attestation
        u16(credentialId.length),
        credentialId,
        coseKey(publicKey),
      ])
      const attestationObject = cbor(
        new Map<Cbor, Cbor>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData],
        ]),
      )
      return {
        id: auth.credentialId,
        rawId: auth.credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: b64u(clientData),
          attestationObject: b64u(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      }
    },
    authenticate(options, lie = {}) {
      const count = lie.signCount ?? auth.signCount + 1
      auth.signCount = Math.max(auth.signCount, count)
      const clientData = clientDataJSON(
        'webauthn.get',
        lie.challenge ?? options.challenge,
        lie.origin ?? opts.origin,
      )
      const authData = Buffer.concat([
        rpIdHash(lie.rpId ?? options.rpId ?? ''),
        Buffer.from([FLAG_UP | FLAG_UV]),
        u32(count),
      ])
      const signed = Buffer.concat([authData, sha256(clientData)])
      const signature = sign('sha256', signed, privateKey) // DER-encoded ECDSA, as WebAuthn wants
      return {
        id: auth.credentialId,
        rawId: auth.credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: b64u(clientData),
          authenticatorData: b64u(authData),
          signature: b64u(signature),
          ...(userHandle ? { userHandle } : {}),
        },
        clientExtensionResults: {},
        authenticatorAttachment: 'platform',
      }
    },
  }
  return auth
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest()
const rpIdHash = (rpId: string) => sha256(rpId)
const b64u = (b: Buffer) => b.toString('base64url')
const clientDataJSON = (type: string, challenge: string, origin: string) =>
  Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))

function u16(n: number) {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}
function u32(n: number) {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/** The credential public key as a COSE_Key map (RFC 9053: EC2, ES256, P-256). */
function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' })
  return cbor(
    new Map<Cbor, Cbor>([
      [COSE.kty, COSE.EC2],
      [COSE.alg, COSE.ES256],
      [COSE.crv, COSE.P256],
      [COSE.x, Buffer.from(jwk.x ?? '', 'base64url')],
      [COSE.y, Buffer.from(jwk.y ?? '', 'base64url')],
    ]),
  )
}

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>

/** The few CBOR types (RFC 8949) WebAuthn needs, with the shortest heads, as the verifier re-encodes. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, bytes.length), bytes])
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value])
  const parts = [head(5, value.size)]
  for (const [k, v] of value) parts.push(cbor(k), cbor(v))
  return Buffer.concat(parts)
}

function head(major: number, n: number): Buffer {
  const m = major << 5
  if (n < 24) return Buffer.from([m | n])
  if (n < 0x100) return Buffer.from([m | 24, n])
  if (n < 0x10000) return Buffer.concat([Buffer.from([m | 25]), u16(n)])
  return Buffer.concat([Buffer.from([m | 26]), u32(n)])
}
