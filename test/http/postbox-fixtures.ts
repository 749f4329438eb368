import { randomUUID } from 'node:crypto'
import { citizenKey, sealForCitizen } from '../../src/crypto/citizen-keys.ts'
import type { Message } from '../../src/store/postbox.port.ts'
import type { Office, SecurityLevel } from '../../src/store/store.types.ts'
import type { TestApp } from '../helpers/app.ts'
import { createSignedInCitizen, type SignedIn } from '../helpers/citizen.ts'
import { type Json, jsonRequest, readJson } from '../helpers/staff.ts'

/** One page of a folder listing. */
export type Page = { items: Json[]; nextCursor: string | null }

/** A signed-in, activated citizen of the office (optionally eID level). */
export const citizenOf = (t: TestApp, office: Office, level: SecurityLevel = 'code_verified') =>
  createSignedInCitizen(t.deps, {
    level,
    officeId: office.id,
    customerNumber: `K${randomUUID().slice(0, 8)}`,
  })

export type Api = ReturnType<typeof apiFor>

/** The postbox API as one citizen calls it. */
export function apiFor(t: TestApp, who: SignedIn) {
  const call = (method: string, path: string, body?: unknown) =>
    t.app.request(path, jsonRequest(method, who.headers(), body))
  return {
    call,
    async send(body: Record<string, unknown>) {
      const res = await call('POST', '/v1/postbox/threads', { category: 'general', ...body })
      if (res.status !== 201) throw new Error(`send failed: ${res.status} ${await res.text()}`)
      return readJson(res)
    },
    async list(query: Record<string, string> = {}): Promise<Page> {
      const res = await call('GET', `/v1/postbox/messages?${new URLSearchParams(query)}`)
      if (res.status !== 200) throw new Error(`list failed: ${res.status} ${await res.text()}`)
      return (await readJson(res)) as Page
    },
  }
}

/** An office→citizen message (notice or message) written through the store, as delivery will (issue 6). */
export async function officeMessage(
  t: TestApp,
  who: SignedIn,
  threadId: string,
  opts: { kind?: Message['kind']; body?: string; createdAt?: Date } = {},
): Promise<string> {
  const id = randomUUID()
  const dek = citizenKey(t.deps.keyring, who.citizen)
  const thread = await t.deps.store.postbox.getThread(who.citizen.id, threadId)
  if (!thread) throw new Error('no such thread')
  const at = opts.createdAt ?? new Date()
  await t.deps.store.postbox.insertMessage(
    {
      id,
      threadId,
      citizenId: who.citizen.id,
      officeId: thread.officeId,
      direction: 'office_to_citizen',
      kind: opts.kind ?? 'message',
      state: 'provided',
      citizenFolder: 'inbox',
      bodyEnc: sealForCitizen(dek, 'messages', id, 'body', opts.body ?? 'Antwort des Jobcenters'),
      createdAt: at,
      sentAt: at,
      readAt: null,
      retrievedAt: null,
      trashedAt: null,
    },
    [],
  )
  return id
}

/** An uploaded (unbound, pending) attachment of the citizen, written through the store. */
export async function uploadedFile(t: TestApp, who: SignedIn, name = 'nachweis.pdf'): Promise<string> {
  const id = randomUUID()
  const dek = citizenKey(t.deps.keyring, who.citizen)
  await t.deps.store.attachments.create({
    id,
    citizenId: who.citizen.id,
    nameEnc: sealForCitizen(dek, 'attachments', id, 'name', name),
    declaredType: 'application/pdf',
    size: 1234,
    blobKey: randomUUID().replaceAll('-', ''),
    createdAt: new Date(),
  })
  return id
}
