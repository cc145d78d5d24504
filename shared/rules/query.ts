/**
 * The query string as Go's `URL.Query()` reads it, which is what Query and QueryRegexp match:
 * pairs split on `&` only; a pair holding a `;` is dropped (Go refuses `;` separators); `+` is
 * a space; a pair with a bad `%` escape is dropped; `?a` gives `a` = "". URLSearchParams differs
 * on the last three points, so the pairs are parsed here and handed to one.
 *
 * @module
 */

const utf8 = new TextDecoder()

/** Go's QueryUnescape, or null for a malformed escape. */
function unescape(s: string): string | null {
  if (!s.includes('%')) return s.includes('+') ? s.replaceAll('+', ' ') : s
  const bytes: number[] = []
  let out = ''
  const flush = () => {
    if (bytes.length > 0) out += utf8.decode(new Uint8Array(bytes))
    bytes.length = 0
  }
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null
      bytes.push(parseInt(hex, 16))
      i += 2
      continue
    }
    flush()
    out += c === '+' ? ' ' : c
  }
  flush()
  return out
}

/** `rawQuery` is the query without its `?`. */
export function parseGoQuery(rawQuery: string): URLSearchParams {
  const pairs: Array<[string, string]> = []
  for (const part of rawQuery.split('&')) {
    if (part === '' || part.includes(';')) continue
    const eq = part.indexOf('=')
    const key = unescape(eq < 0 ? part : part.slice(0, eq))
    const value = unescape(eq < 0 ? '' : part.slice(eq + 1))
    if (key === null || value === null) continue
    pairs.push([key, value])
  }
  return new URLSearchParams(pairs)
}
