/**
 * Traefik's sticky cookies: the value that names a server (or a child service), the legacy
 * values still accepted, and the Set-Cookie line in Go's attribute order.
 *
 * The value is the first 16 hex characters of SHA-256 of the server URL (of the child service's
 * name for weighted services). Cookies written by older Traefik versions (the raw name, its
 * FNV-64 hex, or FNV-64 of that hex) still stick, and are rewritten to the SHA-256 value.
 *
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import type { StickyCookie } from '../../../shared/table/schema.ts'

/** First 16 hex characters of SHA-256 of `name`. */
export async function stickyValue(name: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(name)))
  return bytesToHex(digest.subarray(0, 8))
}

const FNV64_OFFSET = 0xcbf29ce484222325n
const FNV64_PRIME = 0x100000001b3n
const MASK64 = 0xffffffffffffffffn

/** Go's hash/fnv New64 (FNV-1, not 1a) of the UTF-8 bytes, as lower-case hex without padding. */
export function fnv64Hex(input: string): string {
  let hash = FNV64_OFFSET
  for (const byte of new TextEncoder().encode(input)) {
    hash = (hash * FNV64_PRIME) & MASK64
    hash ^= BigInt(byte)
  }
  return hash.toString(16)
}

/** Cookie values older Traefik versions wrote for `name`: accepted, then rewritten. */
export function legacyValues(name: string): string[] {
  const once = fnv64Hex(name)
  return [name, once, fnv64Hex(once)]
}

/** The Set-Cookie value Go's http.SetCookie writes for this cookie. */
export function setCookieLine(cookie: StickyCookie, value: string): string {
  let line = `${cookie.name}=${value}`
  if (cookie.path) line += `; Path=${sanitizePath(cookie.path)}`
  const domain = cookieDomain(cookie.domain)
  if (domain) line += `; Domain=${domain}`
  if (cookie.maxAge > 0) line += `; Max-Age=${cookie.maxAge}`
  else if (cookie.maxAge < 0) line += '; Max-Age=0'
  if (cookie.httpOnly) line += '; HttpOnly'
  if (cookie.secure) line += '; Secure'
  if (cookie.sameSite) line += `; SameSite=${cookie.sameSite}`
  return line
}

/** The value of the first cookie called `name` in a Cookie header (Go's Request.Cookie). */
export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    return value
  }
  return null
}

// Go drops ';' and control characters from a cookie path rather than refusing it.
function sanitizePath(path: string): string {
  let out = ''
  for (const c of path) if (c >= ' ' && c !== ';' && c <= '~') out += c
  return out
}

// Go writes a Domain only when it is a domain name or an IPv4 address, without its leading dot.
function cookieDomain(domain: string | undefined): string {
  if (!domain) return ''
  const d = domain.startsWith('.') ? domain.slice(1) : domain
  return /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(d) && !d.includes('..') ? d : ''
}
