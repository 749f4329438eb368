import { afterEach, expect, it } from 'vitest'
import { deliverNotice } from '../../src/features/notices/notices.deliver.ts'
import { describeBackends } from '../helpers/backends.ts'
import { createSignedInCitizen } from '../helpers/citizen.ts'
import { readJson } from '../helpers/staff.ts'
import {
  ADDRESS,
  activatedCitizen,
  type NoticeWorld,
  noticeWorld,
  postTextNotice,
  waitNotice,
} from './notices-fixtures.ts'

const decided = (n: { channel: string | null; state: string }) => n.channel !== null && n.state !== 'received'

describeBackends('notice channel decision', (kind) => {
  let w: NoticeWorld
  afterEach(async () => w?.close())

  it('goes online only with online communication on, an activated profile and a digital process', async () => {
    w = await noticeWorld(kind)
    const cases: { onlineComm: boolean; activated: boolean; digital: boolean; reason: string }[] = []
    for (const onlineComm of [true, false])
      for (const activated of [true, false])
        for (const digital of [true, false]) {
          const failed = [
            ...(activated ? [] : ['no_activated_profile']),
            // A profile the office has not activated is not found by its customer number at all.
            ...(onlineComm && activated ? [] : ['online_communication_off']),
            ...(digital ? [] : ['process_not_digital']),
          ]
          cases.push({
            onlineComm,
            activated,
            digital,
            reason: failed.length ? failed.join(',') : 'online_only',
          })
        }
    const sent = []
    for (const k of cases) {
      const c = await activatedCitizen(w, { onlineComm: k.onlineComm })
      if (!k.activated) await w.t.deps.store.citizens.update(c.citizen.id, { securityLevel: 'registered' })
      const { json } = await postTextNotice(w, {
        customerNumber: c.customerNumber,
        digital: k.digital,
        postalAddress: { lines: ADDRESS },
      })
      sent.push({ k, id: json.id as string, citizen: c })
    }
    for (const { k, id, citizen } of sent) {
      const n = await waitNotice(w, id, decided)
      const label = JSON.stringify(k)
      expect(n.channel, label).toBe(k.onlineComm && k.activated && k.digital ? 'online' : 'postal')
      expect(n.channelReason, label).toBe(k.reason)
      expect(n.citizenId, label).toBe(k.activated ? citizen.citizen.id : null)
      if (n.channel === 'online') {
        expect(n.messageId).not.toBeNull()
        expect(await w.t.deps.store.printJobs.getByNotice(id)).toBeNull()
      } else {
        expect(n.messageId).toBeNull()
        expect(n.state).toBe('printing')
        expect((await w.t.deps.store.printJobs.getByNotice(id))?.reason).toBe('postal')
      }
    }
  })

  it('applies an opt-in change to notices decided after it, never to one already decided', async () => {
    w = await noticeWorld(kind)
    const c = await activatedCitizen(w, { onlineComm: false })
    const patch = (enabled: boolean, consentVersion?: string) =>
      w.t.app.request('/v1/profile', {
        method: 'PATCH',
        headers: c.headers(),
        body: JSON.stringify({
          onlineCommunication: { enabled, ...(consentVersion ? { consentVersion } : {}) },
        }),
      })
    const post = () =>
      postTextNotice(w, { customerNumber: c.customerNumber, postalAddress: { lines: ADDRESS } })

    const a = await waitNotice(w, (await post()).json.id, decided)
    expect(a.channel).toBe('postal')
    expect((await patch(true, 'online-2026-02')).status).toBe(200)
    const b = await waitNotice(w, (await post()).json.id, decided)
    expect(b.channel).toBe('online')
    expect(b.decision).toMatchObject({ onlineComm: true, consentVersion: 'online-2026-02' })

    // Delivering the first notice again (a duplicate job) keeps its decision and its one letter.
    await deliverNotice(w.t.deps, a.id, new AbortController().signal)
    const aAgain = await w.t.deps.store.notices.getForJob(a.id)
    expect(aAgain).toMatchObject({ channel: 'postal', decidedAt: a.decidedAt, messageId: null })

    expect((await patch(false)).status).toBe(200)
    const cNotice = await waitNotice(w, (await post()).json.id, decided)
    expect(cNotice.channel).toBe('postal')
    await deliverNotice(w.t.deps, b.id, new AbortController().signal)
    expect(await w.t.deps.store.notices.getForJob(b.id)).toMatchObject({
      channel: 'online',
      messageId: b.messageId,
    })
    const inbox = await readJson(
      await w.t.app.request('/v1/postbox/messages?folder=inbox', { headers: c.headers() }),
    )
    expect(inbox.items.map((m: { id: string }) => m.id)).toEqual([b.messageId])
    const audits = (await w.t.deps.store.audit.list(0, 500)).filter(
      (e) => e.action === 'notice.channel_decided',
    )
    expect(audits.map((e) => e.details.channel)).toEqual(['postal', 'online', 'postal'])
  })

  it('decides when the job runs: a notice received before an opt-in but decided after it goes online', async () => {
    w = await noticeWorld(kind, {}, { workers: false })
    const c = await activatedCitizen(w, { onlineComm: false })
    const { json } = await postTextNotice(w, { customerNumber: c.customerNumber })
    const res = await w.t.app.request('/v1/profile', {
      method: 'PATCH',
      headers: c.headers(),
      body: JSON.stringify({ onlineCommunication: { enabled: true, consentVersion: 'online-2026-03' } }),
    })
    expect(res.status).toBe(200)
    await w.startWorkers()
    const n = await waitNotice(w, json.id, decided)
    expect(n).toMatchObject({ channel: 'online', decision: { consentVersion: 'online-2026-03' } })
  })

  it('marks a postal notice without any postal address so the office can act', async () => {
    w = await noticeWorld(kind)
    const registered = await createSignedInCitizen(w.t.deps, { level: 'registered' })
    expect(registered.citizen.customerNumber).toBeNull()
    const { json } = await postTextNotice(w, { customerNumber: 'K-UNKNOWN-1', digital: true })
    const n = await waitNotice(w, json.id, (x) => x.state === 'address_missing')
    expect(n).toMatchObject({
      channel: 'postal',
      channelReason: 'no_activated_profile,online_communication_off',
    })
    expect(await w.t.deps.store.printJobs.getByNotice(json.id)).toBeNull()
  })
})
