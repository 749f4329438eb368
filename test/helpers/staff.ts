import { randomUUID } from 'node:crypto'
import { newApiToken } from '../../src/crypto/tokens.ts'
import type { Deps } from '../../src/deps.ts'
import type { Office, StaffRole } from '../../src/store/store.types.ts'

export type StaffToken = {
  staffId: string
  tokenId: string
  officeId: string
  role: StaffRole
  token: string
  /** Headers for a JSON request with this token. */
  headers(extra?: Record<string, string>): Record<string, string>
}

/** An office written straight through the store, for tests that need one or two of them. */
export async function createOffice(deps: Pick<Deps, 'store'>, name = 'Jobcenter Test'): Promise<Office> {
  const suffix = randomUUID().slice(0, 8).toUpperCase()
  return deps.store.offices.create({
    id: randomUUID(),
    code: `JC-${suffix}`,
    name: `${name} ${suffix}`,
    efileEndpoint: null,
    inboxAddress: null,
    allowedSenders: [],
    routingRules: [],
  })
}

/** A staff member of the office with one fresh token (the admin API itself is tested in staff-*). */
export async function createStaffToken(
  deps: Pick<Deps, 'store'>,
  officeId: string,
  role: StaffRole,
): Promise<StaffToken> {
  const staffId = randomUUID()
  await deps.store.staff.create({ id: staffId, officeId, role, label: `Test ${role}` })
  const { token, prefix, hash } = newApiToken()
  const row = await deps.store.apiTokens.create({
    id: randomUUID(),
    staffId,
    officeId,
    role,
    prefix,
    tokenHash: hash,
  })
  return {
    staffId,
    tokenId: row.id,
    officeId,
    role,
    token,
    headers: (extra = {}) => ({
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      ...extra,
    }),
  }
}

/** fetch-style JSON request options. */
export const jsonRequest = (
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): RequestInit => ({
  method,
  headers,
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
})

/** A response body read loosely: tests assert it field by field. */
// biome-ignore lint/suspicious/noExplicitAny: test bodies are checked by the assertions themselves
export type Json = Record<string, any>
export const readJson = async (res: Response) => (await res.json()) as Json
