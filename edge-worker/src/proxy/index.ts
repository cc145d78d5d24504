/**
 * Traefik's reverse proxy for one server: the upstream URL (the server's scheme and authority,
 * the request's path, with the server's path in front only for preservePath; `;` in the query
 * becomes `&`), X-Forwarded-For appended, hop-by-hop headers removed both ways, the Host the
 * upstream must see (the client's with passHostHeader, the server's without), redirects passed
 * back as they are, bodies streamed both ways. Failures answer Traefik's statuses and bodies.
 *
 * Transport (chosen per request in the handler below: `direct`, `hostInUrl`, else a socket):
 * fetch() when the upstream is to see the server's own host, and on Cloudflare (which keeps an
 * in-zone Host); the fetch() of a direct upstream service (a fixed-address service of the workerd
 * config, shared/table/upstream-bindings.ts) when it is to see the client's Host and the server
 * has one; otherwise, on workerd, HTTP/1.1 over a socket, because workerd's fetch() always writes
 * the URL's host, and because only a socket can send a ServersTransport's serverName as SNI:
 * kept-alive connections of the UpstreamPool Durable Object (./socket-pool) when bound, else one
 * socket per request (WebSocket upgrades always: relayed frame by frame). A ServersTransport
 * with its own trust or client certificate has its own channel (a worker binding; ./dial.ts),
 * which every path goes through.
 *
 * @module
 */
import type { EdgeTarget } from '../../../shared/table/capabilities.ts'
import type { TableServer, TableTransport } from '../../../shared/table/schema.ts'
import { directUpstreamBinding } from '../../../shared/table/upstream-bindings.ts'
import { STATUS_TEXT, type Handler } from '../request.ts'
import { withResponseHeaders } from '../response.ts'
import type { Channel } from './dial.ts'
import { fetchTransport } from './fetch-transport.ts'
import { failedBeforeSending, markNotSent } from './not-sent.ts'
import { appendForwardedFor, isWebSocketUpgrade, removeHopByHop } from './forwarded.ts'
import { socketTransport, socketWebSocket } from './socket-transport.ts'
import { ProxyError, type ServerAddress, type Transport } from './transport.ts'

export interface ProxyOptions {
  target: EdgeTarget
  passHostHeader: boolean
  transport: TableTransport | null
  /** The worker's bindings: where a transport's channel is looked up. */
  env?: Record<string, unknown>
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
  const maxIdleConnsPerHost = options.transport?.maxIdleConnsPerHost
  // serverName is sent (SNI, verified name) over a socket on workerd; Cloudflare's is a diagnostic.
  const serverName = tls && options.target === 'workerd' && options.transport?.serverName && options.transport.serverName !== address.hostname ? options.transport.serverName : undefined
  const channelName = options.transport?.binding
  const channel = channelName === undefined ? undefined : (options.env?.[channelName] as Channel | undefined)
  // A plain-HTTP server the workerd config gives a fixed-address service of its own: its fetch()
  // keeps the client's Host (shared/table/upstream-bindings.ts).
  const directChannel = !tls && options.target === 'workerd' && channelName === undefined ? (options.env?.[directUpstreamBinding(base.host)] as Channel | undefined) : undefined

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
    // fetch() when the upstream is to see what the URL says (or on Cloudflare); a direct upstream's
    // fetch() when it is to see the client's Host; else a socket, which writes req.host itself.
    const direct = options.target === 'cloudflare' || (serverName === undefined && host.toLowerCase() === serverHost)
    // fetch() drops TE: a request that keeps `TE: trailers` (Go's proxy does) goes over the socket.
    const hostInUrl = !direct && !websocket && directChannel !== undefined && urlKeepsHost(host) && (clean || !headers.has('te'))
    if (!direct) headers.delete('host')
    const transport = direct || hostInUrl ? viaFetch : websocket ? viaSocketWebSocket : viaSocket
    return transport({
      server: address,
      url: hostInUrl ? `http://${host}${target}` : origin + target,
      target,
      method: req.method,
      host,
      // workerd writes the URL's host, which is `host` on the fetch path there.
      hostFromUrl: hostInUrl || (direct && options.target !== 'cloudflare'),
      headers,
      body: req.body,
      dialTimeoutMs,
      responseHeaderTimeoutMs,
      idleConnTimeoutMs,
      maxIdleConnsPerHost,
      serverName,
      channelName,
      channel: hostInUrl ? directChannel : channel,
      signal: req.signal,
    }).then(websocket ? answeredUpgrade : answered, (err) => failed(err, direct || hostInUrl, req.method))
  }
}

const CANONICAL_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/**
 * Whether `http://${host}` keeps the Host exactly as the client sent it: URL parsing lowercases,
 * drops a default port and rewrites numeric forms of IPv4 (`0x7f.1`), and such a Host goes over
 * a socket instead, as it came.
 */
export function urlKeepsHost(host: string): boolean {
  let keeps = keepsHost.get(host)
  if (keeps === undefined) {
    // Hosts repeat: remembered (a bounded set, forgotten whole when full) rather than parsed per request.
    if (keepsHost.size >= 4096) keepsHost.clear()
    keepsHost.set(host, (keeps = parseKeepsHost(host)))
  }
  return keeps
}

const keepsHost = new Map<string, boolean>()

function parseKeepsHost(host: string): boolean {
  const m = /^([a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?)(?::([1-9]\d{0,4}))?$/.exec(host)
  if (m === null || m[2] === '80' || (m[2] !== undefined && Number(m[2]) > 65535)) return false
  const name = m[1]!
  const last = name.slice(name.lastIndexOf('.', name.length - 2) + 1).replace(/\.$/, '')
  return /^(\d+|0x[0-9a-f]*)$/.test(last) ? CANONICAL_IPV4.test(name) : true
}

/** Go's JoinURLPath: one slash between the server's path and the request's. */
function joinPath(a: string, b: string): string {
  const aSlash = a.endsWith('/')
  const bSlash = b.startsWith('/')
  if (aSlash && bSlash) return a + b.slice(1)
  if (!aSlash && !bSlash) return `${a}/${b}`
  return a + b
}
