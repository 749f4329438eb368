import { citizenKey, openForCitizen, sealForCitizen } from '../../crypto/citizen-keys.ts'
import { verifyPassword } from '../../crypto/password.ts'
import type { Deps } from '../../deps.ts'
import type { CitizenPatch } from '../../store/identity.types.ts'
import type { AuditInput, Citizen } from '../../store/store.types.ts'
import { enforceLimits } from '../identity/throttle.ts'
import { profileErrors } from './profile.errors.ts'
import type { PatchProfileInput } from './profile.schemas.ts'

type ProfileDeps = Pick<Deps, 'store' | 'keyring' | 'clock'>

export type ProfileView = {
  securityLevel: Citizen['securityLevel']
  office: { id: string; name: string } | null
  customerNumber: string | null
  onlineCommunication: { enabled: boolean; changedAt: Date | null; consentVersion: string | null }
  notifications: { email: boolean; smsAppointments: boolean; phone: string | null }
  language: Citizen['language']
}

const PHONE = ['citizens', 'phone'] as const
const sealPhone = (deps: ProfileDeps, c: Citizen, phone: string) =>
  sealForCitizen(citizenKey(deps.keyring, c), PHONE[0], c.id, PHONE[1], phone)
const openPhone = (deps: ProfileDeps, c: Citizen, sealed: Buffer) =>
  openForCitizen(citizenKey(deps.keyring, c), PHONE[0], c.id, PHONE[1], sealed).toString('utf8')

/** "+4915123456789" → "+•••••••••••89": enough to recognise one's number, not to read it. */
export const maskPhone = (phone: string) =>
  `${phone.slice(0, 1)}${'•'.repeat(phone.length - 3)}${phone.slice(-2)}`

/** The citizen's own profile as the API shows it. */
export async function getProfile(deps: ProfileDeps, citizen: Citizen): Promise<ProfileView> {
  const office = citizen.officeId ? await deps.store.offices.get(citizen.officeId) : null
  return {
    securityLevel: citizen.securityLevel,
    office: office ? { id: office.id, name: office.name } : null,
    customerNumber: citizen.customerNumber,
    onlineCommunication: {
      enabled: citizen.onlineComm,
      changedAt: citizen.onlineCommChangedAt,
      // One column holds the registration consent too (see report); it speaks for online
      // communication only once the citizen has made an online-communication choice.
      consentVersion: citizen.consentVersion,
    },
    notifications: {
      email: citizen.notifyEmail,
      smsAppointments: citizen.smsAppointments,
      phone: citizen.phoneEnc ? maskPhone(openPhone(deps, citizen, citizen.phoneEnc)) : null,
    },
    language: citizen.language,
  }
}

/**
 * Applies the citizen's changes; opt-in changes are audited in the same transaction (old and
 * new values, never the phone number). The phone is kept only while appointment SMS are on.
 */
export async function updateProfile(
  deps: ProfileDeps,
  citizen: Citizen,
  input: PatchProfileInput,
): Promise<ProfileView> {
  const now = deps.clock()
  const patch: CitizenPatch = {}
  const audits: Omit<AuditInput, 'actorKind' | 'actorId'>[] = []
  const base = { subjectKind: 'citizen', subjectId: citizen.id, officeId: citizen.officeId }

  const oc = input.onlineCommunication
  if (oc) {
    if (oc.enabled && !oc.consentVersion && !citizen.onlineComm) {
      throw profileErrors.consent_required(
        'Zum Einschalten der Online-Kommunikation ist Ihre Einwilligung (consentVersion) nötig. / Turning on online communication needs your consent (consentVersion).',
      )
    }
    const newConsent =
      oc.enabled && oc.consentVersion !== undefined && oc.consentVersion !== citizen.consentVersion
    if (oc.enabled !== citizen.onlineComm || newConsent) {
      patch.onlineComm = oc.enabled
      patch.onlineCommChangedAt = now
      if (oc.enabled && oc.consentVersion) patch.consentVersion = oc.consentVersion
      audits.push({
        ...base,
        action: 'citizen.online_comm_changed',
        details: {
          old: citizen.onlineComm,
          new: oc.enabled,
          consentVersion: patch.consentVersion ?? citizen.consentVersion,
        },
      })
    }
  }

  const n = input.notifications
  if (n) {
    const sms = n.smsAppointments ?? citizen.smsAppointments
    const hasPhone = n.phone !== undefined ? n.phone !== null : citizen.phoneEnc !== null
    if (sms && !hasPhone) {
      throw profileErrors.phone_required(
        'Für SMS zu Terminen brauchen wir Ihre Mobilnummer. / Appointment SMS need your mobile number.',
      )
    }
    if (n.email !== undefined) patch.notifyEmail = n.email
    patch.smsAppointments = sms
    if (!sms) patch.phoneEnc = null
    else if (n.phone) patch.phoneEnc = sealPhone(deps, citizen, n.phone)
    const changed =
      (n.email !== undefined && n.email !== citizen.notifyEmail) || sms !== citizen.smsAppointments
    if (changed || n.phone !== undefined) {
      audits.push({
        ...base,
        action: 'citizen.notifications_changed',
        details: {
          email: { old: citizen.notifyEmail, new: patch.notifyEmail ?? citizen.notifyEmail },
          smsAppointments: { old: citizen.smsAppointments, new: sms },
          phoneChanged: n.phone !== undefined || (!sms && citizen.phoneEnc !== null),
        },
      })
    }
  }
  if (input.language) patch.language = input.language

  await deps.store.transaction(async (tx) => {
    if (!(await tx.citizens.update(citizen.id, patch)))
      throw profileErrors.gone('Profil nicht gefunden. / Profile not found.')
    for (const a of audits) await tx.audit.append({ actorKind: 'citizen', actorId: citizen.id, ...a })
  })
  const fresh = await deps.store.citizens.get(citizen.id)
  if (!fresh) throw profileErrors.gone('Profil nicht gefunden. / Profile not found.')
  return getProfile(deps, fresh)
}

/**
 * Deletes the account after the current password: the row goes, and with it sessions, factors,
 * threads, messages, tokens and the wrapped data key (crypto-shredding: every copy sealed under it,
 * backups included, is unreadable from now on); then the attachment blobs are removed too.
 */
export async function deleteProfile(
  deps: ProfileDeps & Pick<Deps, 'config' | 'blobs' | 'log'>,
  citizen: Citizen,
  password: string,
): Promise<void> {
  await enforceLimits(deps, [
    {
      key: `profile-delete:citizen:${citizen.id}`,
      max: deps.config.auth.loginMaxAttempts,
      windowMs: deps.config.auth.windowMs,
    },
  ])
  if (!(await verifyPassword(citizen.passwordHash, password))) {
    throw profileErrors.wrong_password('Das Passwort stimmt nicht. / The password is wrong.')
  }
  const blobKeys = await deps.store.transaction(async (tx) => {
    const keys = await tx.attachments.listBlobKeys(citizen.id)
    await tx.audit.append({
      actorKind: 'citizen',
      actorId: citizen.id,
      action: 'citizen.deleted',
      subjectKind: 'citizen',
      subjectId: citizen.id,
      officeId: citizen.officeId,
    })
    if (!(await tx.citizens.delete(citizen.id)))
      throw profileErrors.gone('Profil nicht gefunden. / Profile not found.')
    return keys
  })
  // After the commit: a failed blob delete leaves ciphertext whose key no longer exists.
  for (const key of blobKeys)
    await deps.blobs
      .delete(key)
      .catch((err) => deps.log.warn({ err }, 'blob delete after profile deletion failed'))
}
