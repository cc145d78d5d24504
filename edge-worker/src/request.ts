/**
 * The request as it travels through the edge: what the client sent, in the form Traefik's
 * handlers see it (Go's req.Host, the escaped path, the raw query), mutable by middlewares.
 *
 * @module
 */

export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void
}

export interface EdgeRequest {
  method: string
  /** Go's req.Host: the Host header as the client sent it, port included. Middlewares may change it. */
  host: string
  /** The escaped path (Go's EscapedPath), as it is sent upstream. */
  path: string
  /** The raw query without `?`; empty when there is none. */
  query: string
  headers: Headers
  body: ReadableStream<Uint8Array> | null
  /** The client's address, without port. */
  clientIp: string
  tls: boolean
  entryPoint: string
  /** Set by the headers middleware (X-Forwarded-For: ""): the proxy must not add X-Forwarded-For. */
  skipXff: boolean
  ctx: ExecutionContextLike
  /** Aborted when the client goes away. */
  signal: AbortSignal | undefined
}

/** A handler in Traefik's sense: a middleware's next, a service, the proxy. */
export type Handler = (req: EdgeRequest) => Promise<Response>

/** Traefik's plain-text error responses (Go's http.Error: text/plain, nosniff, body + newline). */
export function httpError(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
  })
}

/** Go's http.StatusText for the statuses the edge writes itself. */
export const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** The canonical host rules match on: lower case, no port, IPv6 without brackets. */
export function canonicalHost(host: string): string {
  let h = host.trim().toLowerCase()
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    return end === -1 ? h : h.slice(1, end)
  }
  const colon = h.indexOf(':')
  if (colon !== -1 && h.indexOf(':', colon + 1) === -1) h = h.slice(0, colon)
  return h
}

const RESERVED = new Set(['%3A', '%2F', '%3F', '%23', '%5B', '%5D', '%40', '%21', '%24', '%26', '%27', '%28', '%29', '%2A', '%2B', '%2C', '%3B', '%3D', '%25'])

/**
 * Traefik's routing path: the escaped path with every %XX decoded except the reserved ones
 * (compared in upper case, so `%2f` is decoded). Null for a malformed escape (Traefik: 400).
 */
export function routingPath(escaped: string): string | null {
  if (!escaped.includes('%')) return escaped
  let out = ''
  const bytes: number[] = []
  const flush = () => {
    if (bytes.length) out += new TextDecoder().decode(new Uint8Array(bytes.splice(0)))
  }
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i]!
    if (c !== '%') {
      flush()
      out += c
      continue
    }
    const hex = escaped.slice(i + 1, i + 3)
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null
    const code = `%${hex}`
    if (RESERVED.has(code)) {
      flush()
      out += code
    } else {
      bytes.push(parseInt(hex, 16))
    }
    i += 2
  }
  flush()
  return out
}
