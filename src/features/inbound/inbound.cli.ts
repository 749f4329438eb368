import type { Readable } from 'node:stream'
import type { Deps } from '../../deps.ts'
import { isAppError } from '../../errors.ts'
import { receiveInboundMail } from './inbound.service.ts'

type Out = { log(line: string): void; error(line: string): void }

export const inboundUsage = `usage:
  postkorb inbound email --office <code> < mail.eml   take one raw mail from a mail gateway's pipe`

/** Exit codes a mail gateway's pipe understands (sysexits): refused is permanent, the rest is retried. */
export const EX_USAGE = 2
export const EX_DATAERR = 65
export const EX_TEMPFAIL = 75

/** `postkorb inbound email`: stores the mail from stdin like POST /v1/inbound/email and prints its id. */
export async function runInboundCli(
  deps: Pick<Deps, 'config' | 'store' | 'queue' | 'blobs' | 'keyring' | 'clock' | 'log'>,
  sub: string | undefined,
  opts: { office?: string },
  stdin: Readable,
  out: Out = console,
): Promise<number> {
  if (sub !== 'email' || !opts.office) {
    out.error(inboundUsage)
    return EX_USAGE
  }
  const office = await deps.store.offices.getByCode(opts.office)
  if (!office) {
    out.error(`unknown office: ${opts.office}`)
    return EX_USAGE
  }
  try {
    const received = await receiveInboundMail(deps, {
      officeId: office.id,
      channel: 'cli',
      contentLength: null,
      body: stdin,
    })
    out.log(JSON.stringify(received))
    return 0
  } catch (err) {
    if (isAppError(err) && err.status < 500) {
      out.error(JSON.stringify({ code: err.code, ...err.extra }))
      return EX_DATAERR
    }
    out.error('inbound mail not stored; try again')
    deps.log.error({ err }, 'inbound pipe failed')
    return EX_TEMPFAIL
  }
}
