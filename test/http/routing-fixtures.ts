import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { newBlobKey } from '../../src/blobs/blobs.port.ts'
import { citizenKey, sealForCitizen } from '../../src/crypto/citizen-keys.ts'
import type { Delivery } from '../../src/store/routing.port.ts'
import type { Office, RoutingRule } from '../../src/store/store.types.ts'
import { startWorkers } from '../../workers/main.ts'
import { waitFor } from '../contract/fixtures/wait.ts'
import { makeTestApp, type TestApp } from '../helpers/app.ts'
import type { BackendKind } from '../helpers/backends.ts'
import type { SignedIn } from '../helpers/citizen.ts'
import { createOffice } from '../helpers/staff.ts'
import { apiFor } from './postbox-fixtures.ts'

/** Short retries so failure paths finish in a second, not an hour. */
export const fastRetries = {
  DELIVERY_RETRY_BASE_MS: '50',
  DELIVERY_RETRY_MAX_MS: '200',
  DELIVERY_MAX_ATTEMPTS: '4',
  EFILE_TIMEOUT_MS: '2000',
}

/** A test app with every worker bound (message.route, deliver.*), like `postkorb start`. */
export async function makeRoutingApp(kind: BackendKind, env: Record<string, string> = {}): Promise<TestApp> {
  const t = await makeTestApp(kind, { ...fastRetries, ...env })
  await startWorkers(t.deps)
  return t
}

/** An office with these rules (and optionally an e-file endpoint), written through the store. */
export async function officeWithRules(
  t: TestApp,
  rules: RoutingRule[],
  opts: { efileEndpoint?: string } = {},
): Promise<Office> {
  const office = await createOffice(t.deps)
  await t.deps.store.routing.setRules(office.id, rules, null)
  if (opts.efileEndpoint) await t.deps.store.routing.setEfileEndpoint(office.id, opts.efileEndpoint)
  const stored = await t.deps.store.offices.get(office.id)
  if (!stored) throw new Error('office vanished')
  return stored
}

export const queueDefault = (queue = 'allgemein'): RoutingRule => ({
  id: 'r-default',
  name: 'Service Center',
  match: {},
  destinations: [{ kind: 'queue', queue }],
  isDefault: true,
})

/** Sends a text-only message through the API (which enqueues message.route). */
export async function sendText(
  t: TestApp,
  who: SignedIn,
  body: { category?: string; subject?: string; body?: string } = {},
): Promise<{ messageId: string; threadId: string }> {
  const sent = await apiFor(t, who).send({ subject: 'Frage', body: 'Guten Tag', ...body })
  return { messageId: sent.messageId, threadId: sent.threadId }
}

/**
 * A sent message with files whose upload check is already decided (clean or not), written through
 * the store with real encrypted blobs; then message.route is enqueued as the check would.
 */
export async function sendWithFiles(
  t: TestApp,
  who: SignedIn,
  files: { name: string; content: Buffer; state: 'clean' | 'infected' }[],
  opts: { category?: string } = {},
): Promise<{ messageId: string; threadId: string }> {
  const draft = await apiFor(t, who).send({
    category: opts.category ?? 'evidence',
    subject: 'Nachweise',
    body: 'Anbei meine Nachweise.',
    draft: true,
  })
  const dek = citizenKey(t.deps.keyring, who.citizen)
  const ids: string[] = []
  for (const f of files) {
    const id = randomUUID()
    const blobKey = newBlobKey()
    await t.deps.blobs.put(blobKey, Readable.from([f.content]), { dek, blobId: id })
    await t.deps.store.attachments.create({
      id,
      citizenId: who.citizen.id,
      nameEnc: sealForCitizen(dek, 'attachments', id, 'name', f.name),
      declaredType: 'application/pdf',
      size: f.content.length,
      blobKey,
      createdAt: new Date(),
    })
    await t.deps.store.attachments.setScanResult(id, {
      state: f.state,
      detectedType: 'application/pdf',
      ...(f.state === 'infected' ? { detail: 'Eicar-Signature' } : {}),
    })
    ids.push(id)
  }
  await t.deps.store.attachments.bindToMessage(who.citizen.id, draft.messageId, ids)
  await t.deps.store.transaction(async (tx) => {
    await tx.postbox.markSent(who.citizen.id, draft.messageId, new Date())
    await t.deps.queue.send('message.route', { messageId: draft.messageId }, { tx })
  })
  return { messageId: draft.messageId, threadId: draft.threadId }
}

/** Waits until the message's deliveries satisfy check (default: every one settled as delivered or failed). */
export async function waitForDeliveries(
  t: TestApp,
  messageId: string,
  check: (ds: Delivery[]) => boolean = (ds) =>
    ds.length > 0 && ds.every((d) => d.state === 'delivered' || d.state === 'failed'),
  timeoutMs = 15_000,
): Promise<Delivery[]> {
  let last: Delivery[] = []
  await waitFor(async () => {
    last = await t.deps.store.deliveries.listForMessage(messageId)
    return check(last)
  }, timeoutMs).catch((err: Error) => {
    throw new Error(
      `${err.message}; deliveries: ${JSON.stringify(last.map((d) => [d.destinationKind, d.state, d.error]))}`,
    )
  })
  return last
}
