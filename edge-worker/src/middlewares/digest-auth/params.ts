/**
 * The parameters of a `Digest` Authorization header (RFC 2617 §3.2.2), read as go-http-auth
 * reads them: a comma-separated list (commas inside quoted strings kept, backslash escapes
 * honoured), each `key=value` or `key="value"`.
 *
 * @module
 */

/** The parameters, or null when the header is not `Digest <params>` (the scheme is case-sensitive, as in Traefik). */
export function digestParams(authorization: string | null): Map<string, string> | null {
  if (!authorization) return null
  const space = authorization.indexOf(' ')
  if (space === -1 || authorization.slice(0, space) !== 'Digest') return null
  const out = new Map<string, string>()
  for (const pair of splitList(authorization.slice(space + 1).trim())) {
    const eq = pair.indexOf('=')
    if (eq === -1) out.set(pair, '')
    else {
      let v = pair.slice(eq + 1)
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
      out.set(pair.slice(0, eq), v)
    }
  }
  return out
}

function splitList(value: string): string[] {
  const list: string[] = []
  let current = ''
  let quote = false
  let escape = false
  for (const ch of value) {
    if (escape) {
      current += ch
      escape = false
    } else if (quote) {
      if (ch === '\\') escape = true
      else {
        if (ch === '"') quote = false
        current += ch
      }
    } else if (ch === ',') {
      list.push(current.trim())
      current = ''
    } else {
      if (ch === '"') quote = true
      current += ch
    }
  }
  if (current !== '') list.push(current.trim())
  return list
}
