/**
 * Go's URL path handling as Traefik's path middlewares rely on it, over the escaped path the
 * edge carries (EdgeRequest.path): unescaping, escaping, and the JoinPath normalisation that
 * stripPrefix and replacePathRegex refuse to change (400).
 *
 * @module
 */

const utf8 = new TextEncoder()
const ASCII = /^[\x00-\x7f]*$/

/** The UTF-8 length of a string. */
export function byteLength(s: string): number {
  return ASCII.test(s) ? s.length : utf8.encode(s).length
}

/** Go's url.PathUnescape: every %XX decoded; null for a malformed escape. */
export function unescapePath(escaped: string): string | null {
  if (!escaped.includes('%')) return escaped
  const bytes: number[] = []
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped.charCodeAt(i)
    if (c === 37) {
      const hex = escaped.slice(i + 1, i + 3)
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null
      bytes.push(parseInt(hex, 16))
      i += 2
    } else {
      for (const b of utf8.encode(escaped[i]!)) bytes.push(b)
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes))
}

const KEEP = /[A-Za-z0-9\-_.~$&+,/:;=@]/

/** Go's escape of a decoded path (encodePath mode). */
export function escapePath(path: string): string {
  let out = ''
  for (const ch of path) {
    if (KEEP.test(ch)) {
      out += ch
      continue
    }
    for (const b of utf8.encode(ch)) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** A valid escaped path (Go's validEncoded): only path characters and well-formed escapes. */
export function isValidEscaped(path: string): boolean {
  return /^(?:[A-Za-z0-9\-_.~!$&'()*+,;=:@/[\]]|%[0-9A-Fa-f]{2})*$/.test(path)
}

export function ensureLeadingSlash(path: string): string {
  return path === '' || path.startsWith('/') ? path : `/${path}`
}

/** Go's URL.JoinPath() of the path alone: path.Clean, keeping one trailing slash. */
export function joinPathNormalized(path: string): string {
  if (path === '') return ''
  const rooted = path.startsWith('/')
  const out: string[] = []
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
    } else out.push(seg)
  }
  let cleaned = (rooted ? '/' : '') + out.join('/')
  if (cleaned === '') cleaned = rooted ? '/' : '.'
  if (path.endsWith('/') && !cleaned.endsWith('/')) cleaned += '/'
  return cleaned
}

/** How many characters of `escaped` encode the first `decodedBytes` bytes of its decoded form. */
export function escapedLength(escaped: string, decodedBytes: number): number {
  // Without escapes or non-ASCII characters, a byte is a character.
  if (!escaped.includes('%') && ASCII.test(escaped)) return Math.min(decodedBytes, escaped.length)
  let i = 0
  let n = 0
  while (i < escaped.length && n < decodedBytes) {
    if (escaped[i] === '%') {
      i += 3
      n += 1
    } else {
      n += utf8.encode(escaped[i]!).length
      i += 1
    }
  }
  return i
}
