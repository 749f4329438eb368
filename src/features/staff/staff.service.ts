import { randomUUID } from 'node:crypto'
import { newApiToken } from '../../crypto/tokens.ts'
import type { Deps } from '../../deps.ts'
import type { Tx } from '../../store/store.port.ts'
import type { ApiToken, AuditInput, Staff, StaffRole } from '../../store/store.types.ts'
import { staffErrors } from './staff.errors.ts'

type StaffDeps = Pick<Deps, 'store' | 'clock'>

/** Who acts: a staff member through the admin API, or the operator through the CLI. */
export type Actor = { kind: 'staff'; staffId: string } | { kind: 'system' }

/** A token as admins see it: never the hash, never the secret. */
export type TokenView = Pick<
  ApiToken,
  'id' | 'staffId' | 'officeId' | 'role' | 'prefix' | 'createdAt' | 'lastUsedAt' | 'revokedAt'
>
/** The one response that carries the secret; it is not stored and cannot be shown again. */
export type IssuedToken = TokenView & { token: string }

export const tokenView = (t: ApiToken): TokenView => ({
  id: t.id,
  staffId: t.staffId,
  officeId: t.officeId,
  role: t.role,
  prefix: t.prefix,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
})

const auditActor = (actor: Actor): Pick<AuditInput, 'actorKind' | 'actorId'> =>
  actor.kind === 'staff'
    ? { actorKind: 'staff', actorId: actor.staffId }
    : { actorKind: 'system', actorId: null }

async function insertToken(tx: Tx, staff: Staff, actor: Actor): Promise<IssuedToken> {
  const { token, prefix, hash } = newApiToken()
  const row = await tx.apiTokens.create({
    id: randomUUID(),
    staffId: staff.id,
    officeId: staff.officeId,
    role: staff.role,
    prefix,
    tokenHash: hash,
  })
  await tx.audit.append({
    ...auditActor(actor),
    action: 'token.created',
    subjectKind: 'api_token',
    subjectId: row.id,
    officeId: staff.officeId,
    details: { staffId: staff.id, role: staff.role, prefix },
  })
  return { ...tokenView(row), token }
}

/** Creates a staff member (or integration) of an office together with its first token. */
export async function createStaff(
  deps: StaffDeps,
  input: { officeId: string; role: StaffRole; label: string; actor: Actor },
): Promise<{ staff: Staff; token: IssuedToken }> {
  return deps.store.transaction(async (tx) => {
    const staff = await tx.staff.create({
      id: randomUUID(),
      officeId: input.officeId,
      role: input.role,
      label: input.label,
    })
    await tx.audit.append({
      ...auditActor(input.actor),
      action: 'staff.created',
      subjectKind: 'staff',
      subjectId: staff.id,
      officeId: input.officeId,
      details: { role: input.role },
    })
    return { staff, token: await insertToken(tx, staff, input.actor) }
  })
}

/** Issues another token for a staff member of the same office; another office's id is "not found". */
export async function issueToken(
  deps: StaffDeps,
  input: { officeId: string; staffId: string; role?: StaffRole; actor: Actor },
): Promise<IssuedToken> {
  return deps.store.transaction(async (tx) => {
    const staff = await tx.staff.get(input.officeId, input.staffId)
    if (!staff) throw staffErrors.staff_not_found('Unbekannte Mitarbeitende. / Unknown staff member.')
    if (staff.disabledAt) throw staffErrors.staff_disabled('Deaktiviert. / This staff member is disabled.')
    if (input.role && input.role !== staff.role) {
      throw staffErrors.role_mismatch(
        `Die Rolle muss die der Person sein (${staff.role}). / The role must be the staff member's role (${staff.role}).`,
      )
    }
    return insertToken(tx, staff, input.actor)
  })
}

/** The tokens of one office, newest last. */
export async function listTokens(deps: StaffDeps, officeId: string): Promise<TokenView[]> {
  return (await deps.store.apiTokens.list(officeId)).map(tokenView)
}

/** The staff of one office. */
export async function listStaff(deps: StaffDeps, officeId: string): Promise<Staff[]> {
  return deps.store.staff.list(officeId)
}

/** Revokes a token of the office; unknown, foreign and already revoked ids all give the same 404. */
export async function revokeToken(
  deps: StaffDeps,
  input: { officeId: string; tokenId: string; actor: Actor },
): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const revoked = await tx.apiTokens.revoke(input.officeId, input.tokenId, deps.clock())
    if (!revoked) throw staffErrors.token_not_found('Unbekanntes Token. / Unknown token.')
    await tx.audit.append({
      ...auditActor(input.actor),
      action: 'token.revoked',
      subjectKind: 'api_token',
      subjectId: input.tokenId,
      officeId: input.officeId,
    })
  })
}
