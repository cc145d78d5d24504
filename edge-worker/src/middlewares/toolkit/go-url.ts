/**
 * What Go's url.Parse accepts and how URL.String() writes it back, for redirect targets: a
 * Location Traefik would refuse (502) must be refused here too, and one it accepts is sent in
 * Go's form. Only what a redirect target can hold: scheme, authority, path, query, fragment.
 *
 * @module
 */
import { escapePath, isValidEscaped, unescapePath } from './path.ts'

/** The URL as Go's URL.String() writes it after url.Parse; null where url.Parse fails. */
export function goUrlString(raw: string): string | null {
  // Go refuses ASCII control characters anywhere in a URL.
  if (/[\x00-\x1f\x7f]/.test(raw)) return null
  let rest = raw
  let fragment: string | null = null
  const hash = rest.indexOf('#')
  if (hash >= 0) {
    fragment = rest.slice(hash + 1)
    rest = rest.slice(0, hash)
    if (unescapePath(fragment) === null) return null
  }
  let scheme = ''
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest)
  if (schemeMatch) {
    scheme = schemeMatch[1]!.toLowerCase()
    rest = rest.slice(schemeMatch[0].length)
  } else if (rest.startsWith(':')) return null // missing protocol scheme
  let query: string | null = null
  const q = rest.indexOf('?')
  if (q >= 0) {
    query = rest.slice(q + 1)
    rest = rest.slice(0, q)
  }
  const tail = (query !== null ? `?${query}` : '') + (fragment !== null ? `#${fragment}` : '')
  if (!rest.startsWith('/')) {
    if (scheme !== '') return `${scheme}:${rest}${tail}` // opaque
    const slash = rest.indexOf('/')
    if ((slash < 0 ? rest : rest.slice(0, slash)).includes(':')) return null
  }
  let authority: string | null = null
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2)
    authority = end < 0 ? rest.slice(2) : rest.slice(2, end)
    rest = end < 0 ? '' : rest.slice(end)
    if (!validAuthority(authority)) return null
  }
  const path = unescapePath(rest)
  if (path === null) return null
  const escaped = isValidEscaped(rest) ? rest : escapePath(path)
  let out = scheme ? `${scheme}:` : ''
  if (authority !== null && (authority !== '' || escaped !== '' || scheme !== '')) out += `//${authority}`
  return out + escaped + tail
}

function validAuthority(authority: string): boolean {
  const at = authority.lastIndexOf('@')
  const userinfo = at >= 0 ? authority.slice(0, at) : null
  const host = at >= 0 ? authority.slice(at + 1) : authority
  if (userinfo !== null && (!/^[A-Za-z0-9\-._~!$&'()*+,;=:%]*$/.test(userinfo) || unescapePath(userinfo) === null)) return false
  let name = host
  let port = ''
  if (host.startsWith('[')) {
    const close = host.indexOf(']')
    if (close < 0) return false
    name = host.slice(1, close)
    port = host.slice(close + 1)
    if (port !== '' && !port.startsWith(':')) return false
  } else {
    const colon = host.lastIndexOf(':')
    if (colon >= 0) {
      name = host.slice(0, colon)
      port = host.slice(colon)
    }
  }
  if (port !== '' && !/^:[0-9]*$/.test(port)) return false
  // Go's host escaping: only %25 or escapes of non-ASCII bytes, and no character a host cannot hold.
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!
    if (c === '%') {
      const hex = name.slice(i + 1, i + 3)
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return false
      if (parseInt(hex, 16) < 0x80 && hex !== '25') return false
      i += 2
    } else if (c.charCodeAt(0) < 0x80 && !/[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"]/.test(c)) return false
  }
  return true
}
