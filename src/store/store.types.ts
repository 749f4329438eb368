/** Domain types the store speaks; adapters map their rows to these and back. */

export type SecurityLevel = 'registered' | 'code_verified' | 'eid'
export type StaffRole = 'caseworker' | 'service_center_agent' | 'office_admin' | 'integration'
export const staffRoles = ['caseworker', 'service_center_agent', 'office_admin', 'integration'] as const

/** Where a rule sends a message: the office's e-file endpoint, an inbox, or a service-center queue. */
export type Destination =
  | { kind: 'efile' }
  | { kind: 'email'; address: string }
  | { kind: 'queue'; queue: string; slaHours?: number }

/**
 * One rule of an office's ordered list; the first that matches wins. Every condition given must hold;
 * keywords match the decrypted subject and body inside the worker (any keyword, folded like search terms).
 * The default rule matches everything and comes last.
 */
export type RoutingRule = {
  id: string
  name: string
  match: { categories?: string[]; kinds?: string[]; hasAttachments?: boolean; keywords?: string[] }
  destinations: Destination[]
  isDefault?: boolean
}

export type Office = {
  id: string
  code: string
  name: string
  efileEndpoint: string | null
  inboxAddress: string | null
  allowedSenders: string[]
  routingRules: RoutingRule[]
  routingVersion: number
  createdAt: Date
}
export type NewOffice = Omit<Office, 'createdAt' | 'routingVersion'> & { routingVersion?: number }

export type Staff = {
  id: string
  officeId: string
  role: StaffRole
  label: string
  createdAt: Date
  disabledAt: Date | null
}
export type NewStaff = Omit<Staff, 'createdAt' | 'disabledAt'>

export type ApiToken = {
  id: string
  staffId: string
  officeId: string
  role: StaffRole
  prefix: string
  tokenHash: Buffer
  createdAt: Date
  lastUsedAt: Date | null
  revokedAt: Date | null
}
export type NewApiToken = Omit<ApiToken, 'createdAt' | 'lastUsedAt' | 'revokedAt'>

export type Citizen = {
  id: string
  officeId: string | null
  customerNumber: string | null
  emailLookup: Buffer
  emailEnc: Buffer
  emailConfirmedAt: Date | null
  passwordHash: string
  securityLevel: SecurityLevel
  onlineComm: boolean
  onlineCommChangedAt: Date | null
  notifyEmail: boolean
  language: 'de' | 'en'
  dekWrapped: Buffer
  dekKeyId: string
  /** Encrypted mobile number for appointment SMS, or null. */
  phoneEnc: Buffer | null
  smsAppointments: boolean
  /** Version of the terms and email consent the citizen accepted. */
  consentVersion: string | null
  passwordChangedAt: Date | null
  createdAt: Date
  deletedAt: Date | null
}
export type NewCitizen = Omit<
  Citizen,
  | 'createdAt'
  | 'deletedAt'
  | 'emailConfirmedAt'
  | 'onlineCommChangedAt'
  | 'phoneEnc'
  | 'smsAppointments'
  | 'consentVersion'
  | 'passwordChangedAt'
> &
  Partial<
    Pick<
      Citizen,
      'emailConfirmedAt' | 'phoneEnc' | 'smsAppointments' | 'consentVersion' | 'passwordChangedAt'
    >
  >

export type AuditInput = {
  actorKind: 'citizen' | 'staff' | 'system' | 'integration'
  actorId: string | null
  action: string
  subjectKind?: string | null
  subjectId?: string | null
  officeId?: string | null
  /** Ids, codes and counts only: never names, message text, addresses or secrets. */
  details?: Record<string, unknown>
}
export type AuditEntry = Required<AuditInput> & { seq: number; at: Date; prevHash: Buffer; hash: Buffer }
export type AuditVerification =
  | { ok: true; entries: number }
  | { ok: false; entries: number; brokenAt: number; reason: string }
