/**
 * Whether the mail gateway vouched for the From domain: its own Authentication-Results header (RFC 8601,
 * identified by authserv-id; gateways add theirs on top and remove forged copies of it) must show
 * dmarc=pass, or dkim=pass / spf=pass for the From domain itself. A From header alone proves nothing.
 */
export function senderAuthenticated(
  headerLines: readonly { key: string; line: string }[],
  authservId: string,
  fromDomain: string,
): boolean {
  const ours = headerLines
    .filter((h) => h.key.toLowerCase() === 'authentication-results')
    .map((h) => unfold(h.line.slice(h.line.indexOf(':') + 1)))
    .find((value) => (value.split(';')[0]?.trim().split(/\s+/)[0] ?? '').toLowerCase() === authservId)
  if (!ours) return false
  const results = ours
    .split(';')
    .slice(1)
    .map((r) =>
      r
        .replace(/\([^)]*\)/g, ' ')
        .trim()
        .toLowerCase(),
    )
  const domain = fromDomain.toLowerCase()
  return results.some((r) => {
    const method = /^(dmarc|dkim|spf)\s*=\s*(\w+)/.exec(r)
    if (method?.[2] !== 'pass') return false
    if (method[1] === 'dmarc')
      return property(r, 'header.from') === domain || property(r, 'header.from') === null
    if (method[1] === 'dkim') return property(r, 'header.d') === domain
    const mailFrom = property(r, 'smtp.mailfrom')
    return mailFrom !== null && mailFrom.slice(mailFrom.lastIndexOf('@') + 1) === domain
  })
}

const unfold = (value: string) => value.replace(/\r?\n[ \t]+/g, ' ')

function property(result: string, name: string): string | null {
  const match = new RegExp(`(?:^|\\s)${name.replace('.', '\\.')}\\s*=\\s*([^\\s;]+)`).exec(result)
  return match?.[1]?.replace(/^"|"$/g, '') ?? null
}
