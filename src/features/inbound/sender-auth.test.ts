import { describe, expect, it } from 'vitest'
import { senderAuthenticated } from './sender-auth.ts'

const lines = (...values: string[]) =>
  values.map((v) => ({ key: 'authentication-results', line: `Authentication-Results: ${v}` }))
const id = 'mx.jobcenter.example'

describe('sender authentication by the gateway', () => {
  it('accepts DMARC pass, or DKIM/SPF pass aligned with the From domain, from our gateway', () => {
    expect(
      senderAuthenticated(lines(`${id}; dmarc=pass header.from=jobcenter.example`), id, 'jobcenter.example'),
    ).toBe(true)
    expect(
      senderAuthenticated(
        lines(`${id};\r\n dkim=pass (2048-bit key) header.d=jobcenter.example`),
        id,
        'jobcenter.example',
      ),
    ).toBe(true)
    expect(
      senderAuthenticated(
        lines(`${id} 1; spf=pass smtp.mailfrom=bounce@jobcenter.example`),
        id,
        'jobcenter.example',
      ),
    ).toBe(true)
  })

  it('refuses failures, foreign domains, other gateways and a missing header', () => {
    expect(
      senderAuthenticated(lines(`${id}; dmarc=fail header.from=jobcenter.example`), id, 'jobcenter.example'),
    ).toBe(false)
    expect(
      senderAuthenticated(lines(`${id}; dkim=pass header.d=evil.example`), id, 'jobcenter.example'),
    ).toBe(false)
    expect(
      senderAuthenticated(lines(`${id}; dmarc=pass header.from=evil.example`), id, 'jobcenter.example'),
    ).toBe(false)
    expect(
      senderAuthenticated(
        lines('mx.evil.example; dmarc=pass header.from=jobcenter.example'),
        id,
        'jobcenter.example',
      ),
    ).toBe(false)
    expect(senderAuthenticated([], id, 'jobcenter.example')).toBe(false)
  })

  it('reads only the topmost result of our gateway, not a copy the sender put further down', () => {
    const headers = lines(
      `${id}; dmarc=fail header.from=jobcenter.example`,
      `${id}; dmarc=pass header.from=jobcenter.example`,
    )
    expect(senderAuthenticated(headers, id, 'jobcenter.example')).toBe(false)
  })
})
