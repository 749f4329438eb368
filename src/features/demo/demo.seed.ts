import { randomBytes, randomUUID } from 'node:crypto'
import { sealField } from '../../crypto/envelope.ts'
import { hashPassword } from '../../crypto/password.ts'
import { hashToken } from '../../crypto/tokens.ts'
import type { Deps } from '../../deps.ts'
import type { RoutingRule, StaffRole } from '../../store/store.types.ts'

/**
 * Demo logins are fixed so every `npm start` can print them again (only hashes are stored).
 * Refused in production: these values are public in the README.
 */
export const DEMO = {
  officeCode: 'JC-DEMO',
  citizenEmail: 'demo@postkorb.example',
  citizenPassword: 'Demo-Postkorb-2026!',
  customerNumber: '123D456789',
  tokens: {
    office_admin: 'pk_demoadmn_DemoAdminTokenForTheEmbeddedDefaultOnly000000',
    caseworker: 'pk_democase_DemoCaseworkerTokenForTheEmbeddedDefaultOnly00',
    service_center_agent: 'pk_demoserv_DemoServiceCenterTokenForTheEmbeddedDefault00',
    integration: 'pk_demointg_DemoIntegrationTokenForTheEmbeddedDefaultOnly0',
  } satisfies Record<StaffRole, string>,
} as const

/**
 * The demo office has no e-file system, so everything a caseworker handles goes to its inbox (the
 * embedded default writes .eml files to DATA_DIR/outbox); objections also land in their own queue.
 */
export const demoRoutingRules: RoutingRule[] = [
  {
    id: 'r-objection',
    name: 'Widersprüche ins Postfach der Widerspruchsstelle und in ihre Warteschlange',
    match: { categories: ['objection'] },
    destinations: [
      { kind: 'email', address: 'widerspruch@jobcenter-demo.example' },
      { kind: 'queue', queue: 'widerspruch', slaHours: 24 },
    ],
  },
  {
    id: 'r-change',
    name: 'Veränderungsmitteilungen und Weiterbewilligung ins Leistungspostfach',
    match: { categories: ['change_notice', 'continued_benefits'] },
    destinations: [{ kind: 'email', address: 'posteingang@jobcenter-demo.example' }],
  },
  {
    id: 'r-appointment',
    name: 'Terminfragen an das Service Center (Termine)',
    match: { keywords: ['Termin', 'Terminverschiebung', 'appointment'] },
    destinations: [{ kind: 'queue', queue: 'termine', slaHours: 8 }],
  },
  {
    id: 'r-default',
    name: 'Alles andere ans Service Center',
    match: {},
    destinations: [{ kind: 'queue', queue: 'allgemein', slaHours: 48 }],
    isDefault: true,
  },
]

export type SeedResult = { created: boolean; officeId: string }

/** Creates the demo office, staff with tokens and an activated demo citizen, once. */
export async function seedDemo(deps: Pick<Deps, 'store' | 'keyring' | 'config'>): Promise<SeedResult> {
  if (deps.config.env === 'production') throw new Error('seed --demo is refused in production')
  const existing = await deps.store.offices.getByCode(DEMO.officeCode)
  if (existing) return { created: false, officeId: existing.id }

  const officeId = randomUUID()
  const citizenId = randomUUID()
  const dek = randomBytes(32)
  const { wrapped, keyId } = deps.keyring.wrapDek(citizenId, dek)
  const email = DEMO.citizenEmail
  const passwordHash = await hashPassword(DEMO.citizenPassword)

  await deps.store.transaction(async (tx) => {
    await tx.offices.create({
      id: officeId,
      code: DEMO.officeCode,
      name: 'Jobcenter Demo-Stadt',
      efileEndpoint: null,
      inboxAddress: 'posteingang@jobcenter-demo.example',
      allowedSenders: ['jobcenter-demo.example'],
      routingRules: demoRoutingRules,
    })
    for (const [role, token] of Object.entries(DEMO.tokens) as [StaffRole, string][]) {
      const staffId = randomUUID()
      await tx.staff.create({ id: staffId, officeId, role, label: `Demo ${role}` })
      await tx.apiTokens.create({
        id: randomUUID(),
        staffId,
        officeId,
        role,
        prefix: token.split('_')[1] ?? '',
        tokenHash: hashToken(token),
      })
    }
    await tx.citizens.create({
      id: citizenId,
      officeId,
      customerNumber: DEMO.customerNumber,
      emailLookup: deps.keyring.lookupMac('email', email),
      emailEnc: sealField(dek, email, { table: 'citizens', rowId: citizenId, field: 'email', keyId: 'dek' }),
      emailConfirmedAt: new Date(),
      passwordHash,
      securityLevel: 'code_verified',
      onlineComm: true,
      notifyEmail: true,
      language: 'de',
      dekWrapped: wrapped,
      dekKeyId: keyId,
    })
    await tx.audit.append({
      actorKind: 'system',
      actorId: null,
      action: 'demo.seeded',
      subjectKind: 'office',
      subjectId: officeId,
      officeId,
    })
  })
  return { created: true, officeId }
}

/** The lines `npm start` prints so a developer can log in. */
export function demoLoginLines(baseUrl: string): string[] {
  return [
    `Postkorb demo data (embedded default) at ${baseUrl}`,
    `  citizen               ${DEMO.citizenEmail} / ${DEMO.citizenPassword} (customer number ${DEMO.customerNumber})`,
    ...Object.entries(DEMO.tokens).map(
      ([role, token]) => `  ${role.padEnd(21)} Authorization: Bearer ${token}`,
    ),
  ]
}
