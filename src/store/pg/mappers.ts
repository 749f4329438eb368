import type {
  ApiToken,
  AuditEntry,
  Citizen,
  Office,
  SecurityLevel,
  Staff,
  StaffRole,
} from '../store.types.ts'
import type * as s from './schema.ts'

/** One mapper per entity: drizzle rows in, domain objects out (nothing else leaves the adapter). */
export function toOffice(r: typeof s.offices.$inferSelect): Office {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    efileEndpoint: r.efileEndpoint,
    inboxAddress: r.inboxAddress,
    allowedSenders: r.allowedSenders,
    routingRules: r.routingRules,
    routingVersion: r.routingVersion,
    createdAt: r.createdAt,
  }
}

export function toStaff(r: typeof s.staff.$inferSelect): Staff {
  return {
    id: r.id,
    officeId: r.officeId,
    role: r.role as StaffRole,
    label: r.label,
    createdAt: r.createdAt,
    disabledAt: r.disabledAt,
  }
}

export function toApiToken(r: typeof s.apiTokens.$inferSelect): ApiToken {
  return {
    id: r.id,
    staffId: r.staffId,
    officeId: r.officeId,
    role: r.role as StaffRole,
    prefix: r.prefix,
    tokenHash: r.tokenHash,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
  }
}

export function toCitizen(r: typeof s.citizens.$inferSelect): Citizen {
  return {
    id: r.id,
    officeId: r.officeId,
    customerNumber: r.customerNumber,
    emailLookup: r.emailLookup,
    emailEnc: r.emailEnc,
    emailConfirmedAt: r.emailConfirmedAt,
    passwordHash: r.passwordHash,
    securityLevel: r.securityLevel as SecurityLevel,
    onlineComm: r.onlineComm,
    onlineCommChangedAt: r.onlineCommChangedAt,
    notifyEmail: r.notifyEmail,
    language: r.language as Citizen['language'],
    dekWrapped: r.dekWrapped,
    dekKeyId: r.dekKeyId,
    phoneEnc: r.phoneEnc,
    smsAppointments: r.smsAppointments,
    consentVersion: r.consentVersion,
    passwordChangedAt: r.passwordChangedAt,
    createdAt: r.createdAt,
    deletedAt: r.deletedAt,
  }
}

export function toAuditEntry(r: typeof s.auditLog.$inferSelect): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actorKind: r.actorKind as AuditEntry['actorKind'],
    actorId: r.actorId,
    action: r.action,
    subjectKind: r.subjectKind,
    subjectId: r.subjectId,
    officeId: r.officeId,
    details: r.details,
    prevHash: r.prevHash,
    hash: r.hash,
  }
}
