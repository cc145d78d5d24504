/**
 * The request facts rule matching reads, and how to get them from a Web-standard Request.
 * Same shape as shared/table/match-request.ts so the table and the matcher agree.
 *
 * @module
 */
import { parseGoQuery } from './query.ts'

export interface MatchRequest {
  /** Traefik's canonical host: lower case, trimmed, no port, IPv6 brackets removed. */
  host: string
  /** As received (Fetch upper-cases the standard methods). */
  method: string
  /**
   * Traefik's routing path: the escaped path with every %XX decoded except the reserved ones
   * (`%2F`, `%3F`, `%25`... upper-case only), so `/foo%20bar` is `/foo bar` but `/a%2Fb` stays.
   */
  path: string
  /** Header lines; a repeated header is the comma-joined value (Fetch merges lines). */
  headers: Headers
  /**
   * The query parsed like Go's URL.Query() (./query.ts: `+` is a space, `?a` is `a` = "", pairs
   * holding `;` or a bad escape are dropped).
   */
  query: URLSearchParams
  /** Client address without port (never from X-Forwarded-For). */
  clientIp: string
}

const RESERVED = new Set(['%3A', '%2F', '%3F', '%23', '%5B', '%5D', '%40', '%21', '%24', '%26', '%27', '%28', '%29', '%2A', '%2B', '%2C', '%3B', '%3D', '%25'])

/** Thrown for a path Traefik answers with 400 (a `%` not followed by two hex digits). */
export class BadPathError extends Error {}

/** Decodes non-reserved %XX of an escaped path, as Traefik's withRoutingPath. */
export function routingPath(escaped: string): string {
  if (!escaped.includes('%')) return escaped
  const bytes: number[] = []
  let out = ''
  const flush = (): void => {
    if (bytes.length > 0) out += new TextDecoder().decode(new Uint8Array(bytes))
    bytes.length = 0
  }
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i]
    if (c !== '%') {
      flush()
      out += c
      continue
    }
    const code = escaped.slice(i, i + 3)
    if (!/^%[0-9a-fA-F]{2}$/.test(code)) throw new BadPathError(`invalid escape at ${i}`)
    if (RESERVED.has(code)) {
      flush()
      out += code
    } else bytes.push(Number.parseInt(code.slice(1), 16))
    i += 2
  }
  flush()
  return out
}

/** Canonical host of a Host value: lower case, trimmed, port and IPv6 brackets removed. */
export function canonicalHost(host: string): string {
  let h = host.trim()
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    h = end < 0 ? h : h.slice(1, end)
  } else {
    const colon = h.indexOf(':')
    if (colon >= 0 && h.indexOf(':', colon + 1) < 0) h = h.slice(0, colon)
  }
  return h.toLowerCase()
}

/** Builds the facts lazily: path decoding and query parsing run only if a matcher reads them. */
export function requestToMatchRequest(req: Request, clientIp: string): MatchRequest {
  const url = new URL(req.url)
  let path: string | undefined
  let query: URLSearchParams | undefined
  return {
    host: canonicalHost(url.host),
    method: req.method,
    get path() {
      path ??= routingPath(url.pathname)
      return path
    },
    headers: req.headers,
    get query() {
      query ??= parseGoQuery(url.search.slice(1))
      return query
    },
    clientIp,
  }
}
