/**
 * Traefik's reverse proxy for one server: the upstream URL (the server's scheme and authority,
 * the request's path, with the server's path in front only for preservePath; `;` in the query
 * becomes `&`), X-Forwarded-For appended, hop-by-hop headers removed both ways, the Host the
 * upstream must see (the client's with passHostHeader, the server's without), redirects passed
 * back as they are, bodies streamed both ways. Failures answer Traefik's statuses and bodies.
 *
 * Transport: fetch() when the upstream is to see the server's own host, and on Cloudflare (which
 * keeps an in-zone Host); otherwise, on workerd, HTTP/1.1 over a socket, because workerd's fetch()
 * always writes the URL's host: kept-alive connections of the UpstreamPool Durable Object
 * (./socket-pool) when bound, else one socket per request (WebSocket upgrades always: relayed
 * frame by frame).
 *
 * @module
 */
import type { EdgeTarget } from '../../../shared/table/capabilities.ts'
import type { TableServer, TableTransport } from '../../../shared/table/schema.ts'
import { STATUS_TEXT, type Handler } from '../request.ts'
import { withResponseHeaders } from '../response.ts'
import { fetchTransport } from './fetch-transport.ts'
import { failedBeforeSending, markNotSent } from './not-sent.ts'
import { appendForwardedFor, isWebSocketUpgrade, removeHopByHop } from '../../../shared/http/forwarded.ts'
import { socketTransport, socketWebSocket } from './socket-transport.ts'
import { ProxyError, type ServerAddress, type Transport } from './transport.ts'

export interface ProxyOptions {
  target: EdgeTarget
  passHostHeader: boolean
  transport: TableTransport | null
  /** Overrides for tests. */
  fetchVia?: Transport
  socketVia?: Transport
  socketWebSocketVia?: Transport
}

const DEFAULT_DIAL_MS = 30_000
/** Traefik's default forwardingTimeouts.idleConnTimeout. */
const DEFAULT_IDLE_CONN_MS = 90_000

/**
 * Whether a response carries hop-by-hop headers the runtime would let through: workerd's server
 * already drops Connection, Keep-Alive, Transfer-Encoding, Upgrade and Trailer and frames the
 * body itself, so only headers Connection names and the Proxy-* ones need removing. Most
 * responses have none, and are passed on without a copy.
 */
function needsHopCleanup(headers: Headers): boolean {
  if (headers.has('proxy-authenticate') || headers.has('proxy-connection') || headers.has('te')) return true
  const connection = headers.get('connection')
  return connection !== null && connection.split(',').some((t) => !/^\s*(keep-alive|close)\s*$/i.test(t))
}

export function reverseProxy(server: TableServer, options: ProxyOptions): Handler {
  const base = new URL(server.url)
  const tls = base.protocol === 'https:'
  // h2c has no client in the runtime: spoken as HTTP/1.1 (reported at compile time).
  const origin = `${tls ? 'https:' : 'http:'}//${base.host}`
  const address: ServerAddress = {
    tls,
    hostname: base.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(base.port) || (tls ? 443 : 80),
    host: base.host,
  }
  const serverHost = base.host.toLowerCase()
  const basePath = server.preservePath ? base.pathname : null
  const viaFetch = options.fetchVia ?? fetchTransport
  const viaSocket = options.socketVia ?? socketTransport
  const viaSocketWebSocket = options.socketWebSocketVia ?? socketWebSocket
  const dialTimeoutMs = options.transport?.dialTimeoutMs ?? DEFAULT_DIAL_MS
  const responseHeaderTimeoutMs = options.transport?.responseHeaderTimeoutMs ?? 0
  const idleConnTimeoutMs = options.transport?.idleConnTimeoutMs ?? DEFAULT_IDLE_CONN_MS

  const failed = (err: unknown, direct: boolean, method: string): Response => {
    const status = err instanceof ProxyError ? err.status : 500
    console.error(`[edge] ${method} ${address.host}: ${status} ${(err as Error).message}`)
    const res = new Response(STATUS_TEXT[status] ?? '', { status: status === 499 ? 499 : status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
    return failedBeforeSending(err, direct) ? markNotSent(res) : res
  }
  const answered = (res: Response): Response => (!needsHopCleanup(res.headers) ? res : withResponseHeaders(res, (h) => removeHopByHop(h, false)))
  // Only an upgrade request can get a WebSocket back: other responses skip the runtime call.
  const answeredUpgrade = (res: Response): Response => (res.webSocket ? res : answered(res))

  // Not async: one promise (the transport's, then its reaction) per request instead of a frame per layer.
  return function proxy(req) {
    const path = req.path === '' ? '/' : req.path
    const query = req.query.includes(';') ? req.query.replaceAll(';', '&') : req.query
    const target = `${basePath === null ? path : joinPath(basePath, path)}${query === '' ? '' : `?${query}`}`
    // The request is this proxy's to change: services that send it twice send copies.
    const headers = req.headers
    // hopFree: no Upgrade (so no WebSocket), nothing hop-by-hop, no X-Forwarded-For to append to.
    const clean = req.hopFree === true
    const websocket = !clean && isWebSocketUpgrade(headers)
    if (!clean) removeHopByHop(headers, true)
    if (!req.skipXff) {
      if (clean) headers.set('x-forwarded-for', req.clientIp)
      else appendForwardedFor(headers, req.clientIp)
    }
    const host = options.passHostHeader ? req.host : base.host
    const direct = options.target === 'cloudflare' || host.toLowerCase() === serverHost
    // fetch() gets its Host set by the transport; the socket transports write req.host themselves.
    if (!direct) headers.delete('host')
    const transport = direct ? viaFetch : websocket ? viaSocketWebSocket : viaSocket
    return transport({
      server: address,
      url: origin + target,
      target,
      method: req.method,
      host,
      // workerd writes the URL's host, which is `host` on the fetch path there.
      hostFromUrl: direct && options.target !== 'cloudflare',
      headers,
      body: req.body,
      dialTimeoutMs,
      responseHeaderTimeoutMs,
      idleConnTimeoutMs,
      signal: req.signal,
    }).then(websocket ? answeredUpgrade : answered, (err) => failed(err, direct, req.method))
  }
}

/** Go's JoinURLPath: one slash between the server's path and the request's. */
function joinPath(a: string, b: string): string {
  const aSlash = a.endsWith('/')
  const bSlash = b.startsWith('/')
  if (aSlash && bSlash) return a + b.slice(1)
  if (!aSlash && !bSlash) return `${a}/${b}`
  return a + b
}
