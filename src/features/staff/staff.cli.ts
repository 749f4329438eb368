import type { Deps } from '../../deps.ts'
import { isAppError } from '../../errors.ts'
import { roleSchema } from './staff.schemas.ts'
import { createStaff, listTokens, revokeToken } from './staff.service.ts'

export type StaffCliOptions = { office?: string; role?: string; label?: string; 'token-id'?: string }
type Out = { log(line: string): void; error(line: string): void }

export const staffUsage = `usage:
  postkorb staff create --office <code> --role <${roleSchema.options.join('|')}> --label <text>
  postkorb staff tokens --office <code>
  postkorb staff revoke --office <code> --token-id <id>`

/** `postkorb staff …`: returns the exit code (0 ok, 2 usage or unknown office/token). */
export async function runStaffCli(
  deps: Pick<Deps, 'store' | 'clock'>,
  sub: string | undefined,
  opts: StaffCliOptions,
  out: Out = console,
): Promise<number> {
  if (!opts.office) return usage(out, '--office is required')
  const office = await deps.store.offices.getByCode(opts.office)
  if (!office) {
    out.error(`unknown office: ${opts.office}`)
    return 2
  }
  const actor = { kind: 'system' } as const
  switch (sub) {
    case 'create': {
      const role = roleSchema.safeParse(opts.role)
      if (!role.success) return usage(out, `--role must be one of ${roleSchema.options.join(', ')}`)
      if (!opts.label?.trim()) return usage(out, '--label is required')
      const { staff, token } = await createStaff(deps, {
        officeId: office.id,
        role: role.data,
        label: opts.label.trim(),
        actor,
      })
      out.log(`staff ${staff.id} (${staff.role}, ${office.code}) created; token id ${token.id}`)
      out.log('The token is shown once; store it now:')
      out.log(token.token)
      return 0
    }
    case 'tokens': {
      for (const t of await listTokens(deps, office.id)) {
        const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active'
        const used = t.lastUsedAt ? t.lastUsedAt.toISOString() : 'never'
        out.log(
          `${t.id}  pk_${t.prefix}_…  ${t.role.padEnd(20)}  staff ${t.staffId}  last used ${used}  ${state}`,
        )
      }
      return 0
    }
    case 'revoke': {
      const tokenId = opts['token-id']
      if (!tokenId) return usage(out, '--token-id is required')
      try {
        await revokeToken(deps, { officeId: office.id, tokenId, actor })
      } catch (err) {
        if (!isAppError(err) || err.status !== 404) throw err
        out.error(`no active token ${tokenId} in office ${office.code}`)
        return 2
      }
      out.log(`token ${tokenId} revoked`)
      return 0
    }
    default:
      return usage(out, `unknown staff command: ${sub ?? '(none)'}`)
  }
}

function usage(out: Out, why: string): number {
  out.error(`${why}\n${staffUsage}`)
  return 2
}
