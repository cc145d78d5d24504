/**
 * Traefik's reverse proxy for one server: the upstream URL (the server's scheme and authority,
 * the request's path, with the server's path in front only for preservePath; `;` in the query
 * becomes `&`), X-Forwarded-For appended, hop-by-hop headers removed both ways, the Host the
 * upstream must see (the client's with passHostHeader, the server's without), redirects passed
 * back as they are, bodies streamed both ways. Failures answer Traefik's statuses and bodies.
 *
 * Transport (chosen per request in the handler below): for a server the table marks for the
 * cluster's tunnel (Cloudflare target: pod, ClusterIP and node addresses), the Workers VPC Network
 * binding's fetch() (./tunnel-transport.ts); otherwise fetch() when the upstream is to see the
 * server's own host, and on Cloudflare (which keeps an in-zone Host, and with CLOUDFLARE_ZONES
 * sends the client's Host to an in-zone upstream through cf.resolveOverride); the fetch() of a
 * direct upstream service (a fixed-address service of the workerd config,
 * shared/table/upstream-bindings.ts) when the upstream is to see the client's Host and the server
 * has one; otherwise, on workerd, HTTP/1.1 over a socket, because workerd's fetch() always writes
 * the URL's host, and because only a socket can send a ServersTransport's serverName as SNI:
 * kept-alive connections of the UpstreamPool Durable Object (./socket-pool) when bound, else one
 * socket per request (WebSocket upgrades always: relayed frame by frame). A ServersTransport
 * with its own trust or client certificate has its own channel (a worker binding; ./dial.ts),
 * which the fetch and socket paths go through.
 *
 * @module
 */
import type { EdgeTarget } from '../../../shared/table/capabilities.ts'
import type { TableServer, TableTransport } from '../../../shared/table/schema.ts'
import { directUpstreamBinding } from '../../../shared/table/upstream-bindings.ts'
import { perHost } from '../../../shared/http/per-host.ts'
import { STATUS_TEXT, type Handler } from '../request.ts'
import { withResponseHeaders } from '../response.ts'
import type { Channel } from './dial.ts'
import { fetchTransport, type FetchTransport } from './fetch-transport.ts'
import { tunnelTransport } from './tunnel-transport.ts'
import { failedBeforeSending, markNotSent } from './not-sent.ts'
import { appendForwardedFor, isWebSocketUpgrade, removeHopByHop } from '../../../shared/http/forwarded.ts'
import { socketTransport, socketWebSocket } from './socket-transport.ts'
import { ProxyError, type ServerAddress, type Transport, type UpstreamRequest } from './transport.ts'

export interface ProxyOptions {
  target: EdgeTarget
  passHostHeader: boolean
  transport: TableTransport | null
  /** The worker's bindings: where a transport's channel is looked up. */
  env?: Record<string, unknown>
  /** The cluster's tunnel (the VPC Network binding), for servers the table marks `tunnel`. */
  tunnelVia?: Transport
  /** Cloudflare: the zones the worker's routes are in (CLOUDFLARE_ZONES), for cf.resolveOverride. */
  zones?: readonly string[]
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
 * already drops Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade and Trailer and frames the
 * body itself, so only headers Connection names and the Proxy-* ones need removing there
 * (test/e2e/edge-proxy.test.ts), and TE too elsewhere (`dropsTe` false). Most responses have
 * none, and are passed on without a copy.
 */
export function needsHopCleanup(headers: Headers, dropsTe = false): boolean {
  if (headers.has('proxy-authenticate') || headers.has('proxy-connection') || (!dropsTe && headers.has('te'))) return true
  const connection = headers.get('connection')
  return connection !== null && !ONLY_PERSISTENCE.test(connection)
}

// One test of the whole value: a split and a closure on every response otherwise (most upstreams send `keep-alive`).
const ONLY_PERSISTENCE = /^\s*(?:keep-alive|close)\s*(?:,\s*(?:keep-alive|close)\s*)*$/i

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
  const tunnel = server.tunnel
  const viaTunnel = tunnel === undefined ? null : (options.tunnelVia ?? tunnelTransport({}))
  // cf.resolveOverride: a public upstream in one of the worker's zones gets the client's Host when that is in one too.
  const overridable = options.target === 'cloudflare' && tunnel === undefined && options.passHostHeader && inZones(address.hostname, options.zones)
  const viaSocket = options.socketVia ?? socketTransport
  const viaSocketWebSocket = options.socketWebSocketVia ?? socketWebSocket
  const dialTimeoutMs = options.transport?.dialTimeoutMs ?? DEFAULT_DIAL_MS
  const responseHeaderTimeoutMs = options.transport?.responseHeaderTimeoutMs ?? 0
  const idleConnTimeoutMs = options.transport?.idleConnTimeoutMs ?? DEFAULT_IDLE_CONN_MS
  const maxIdleConnsPerHost = options.transport?.maxIdleConnsPerHost
  // serverName is sent (SNI, verified name) over a socket on workerd; Cloudflare's is a diagnostic.
  const serverName =
    tls && options.target === 'workerd' && options.transport?.serverName && options.transport.serverName !== address.hostname
      ? options.transport.serverName
      : undefined
  const channelName = options.transport?.binding
  const channel = channelName === undefined ? undefined : (options.env?.[channelName] as Channel | undefined)
  // A plain-HTTP server the workerd config gives a fixed-address service of its own: its fetch()
  // keeps the client's Host (shared/table/upstream-bindings.ts).
  const directChannel =
    !tls && options.target === 'workerd' && channelName === undefined ? (options.env?.[directUpstreamBinding(base.host)] as Channel | undefined) : undefined

  const failed = (err: unknown, direct: boolean, method: string): Response => {
    const status = err instanceof ProxyError ? err.status : 500
    console.error(`[edge] ${method} ${address.host}: ${status} ${(err as Error).message}`)
    const res = new Response(STATUS_TEXT[status] ?? '', { status: status === 499 ? 499 : status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
    return failedBeforeSending(err, direct) ? markNotSent(res) : res
  }
  const dropsTe = options.target === 'workerd'
  const answered = (res: Response): Response => (!needsHopCleanup(res.headers, dropsTe) ? res : withResponseHeaders(res, (h) => removeHopByHop(h, false)))
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
    let transport: Transport
    let direct: boolean
    let hostFromUrl: boolean
    let hostInUrl = false
    let url = origin + target
    let resolveOverride: string | undefined
    if (viaTunnel !== null) {
      transport = viaTunnel
      direct = true
      // `url`: the binding is taken to write the URL's host itself (shared/table/tunnel.ts): none is sent.
      hostFromUrl = tunnel === 'url'
      if (hostFromUrl) headers.delete('host')
    } else {
      // fetch() when the upstream is to see what the URL says (or on Cloudflare); a direct upstream's
      // fetch() when it is to see the client's Host; else a socket, which writes req.host itself.
      // fetch() would also resolve dot segments that sanitizePath: false lets through: such a path
      // goes over the socket, as it came (Cloudflare has no socket to the upstream: documented).
      const keepsPath = urlKeepsPath(target)
      direct = options.target === 'cloudflare' || (serverName === undefined && host.toLowerCase() === serverHost && keepsPath)
      // fetch() drops TE: a request that keeps `TE: trailers` (Go's proxy does) goes over the socket.
      hostInUrl = !direct && keepsPath && !websocket && directChannel !== undefined && urlKeepsHost(host) && (clean || !headers.has('te'))
      // A socket writes req.host itself; a direct upstream service's fetch() writes the URL's, which is `host`.
      if (!direct && !hostInUrl) headers.delete('host')
      transport = direct || hostInUrl ? viaFetch : websocket ? viaSocketWebSocket : viaSocket
      // workerd writes the URL's host, which is `host` on the fetch path there.
      hostFromUrl = hostInUrl || (direct && options.target !== 'cloudflare')
      if (hostInUrl) url = `http://${host}${target}`
      else if (overridable && host.toLowerCase() !== serverHost && inZones(hostnameOf(host), options.zones)) {
        // The URL names the client's host (so the Host Cloudflare sends), resolved as the server's.
        url = `${tls ? 'https:' : 'http:'}//${hostnameOf(host)}${base.port ? `:${base.port}` : ''}${target}`
        resolveOverride = address.hostname
      }
    }
    const upstream: UpstreamRequest = {
      server: address,
      url,
      resolveOverride,
      target,
      method: req.method,
      host,
      hostFromUrl,
      headers,
      body: req.body,
      dialTimeoutMs,
      responseHeaderTimeoutMs,
      idleConnTimeoutMs,
      maxIdleConnsPerHost,
      serverName,
      channelName,
      channel: hostInUrl ? directChannel : channel,
      // A fetch() without a body needs none (the runtime cancels it with the request): the
      // request's signal is only read when an error must be told apart from a client gone away.
      signal: transport !== viaFetch || req.body !== null ? req.signal : undefined,
    }
    const onAnswer = websocket ? answeredUpgrade : answered
    // A fetch transport's own promise, reacted to once here: its guarded form adds a reaction and closures per request.
    const fetchHalves = (transport as Partial<FetchTransport>).unguarded === undefined ? null : (transport as FetchTransport)
    const sent = fetchHalves?.unguarded(upstream) ?? null
    if (sent !== null)
      return sent.then(onAnswer, (err) => {
        upstream.signal ??= req.signal
        return failed(fetchHalves!.failure(err, upstream), direct || hostInUrl, req.method)
      })
    if (transport === viaFetch && upstream.signal === undefined) upstream.signal = req.signal
    return transport(upstream).then(onAnswer, (err) => failed(err, direct || hostInUrl, req.method))
  }
}

const CANONICAL_IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/**
 * Whether `http://${host}` keeps the Host exactly as the client sent it: URL parsing lowercases,
 * drops a default port and rewrites numeric forms of IPv4 (`0x7f.1`), and such a Host goes over
 * a socket instead, as it came.
 */
// Hosts repeat: remembered per Host rather than parsed per request.
export const urlKeepsHost: (host: string) => boolean = perHost(parseKeepsHost)

function parseKeepsHost(host: string): boolean {
  const m = /^([a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?)(?::([1-9]\d{0,4}))?$/.exec(host)
  if (m === null || m[2] === '80' || (m[2] !== undefined && Number(m[2]) > 65535)) return false
  const name = m[1]!
  const last = name.slice(name.lastIndexOf('.', name.length - 2) + 1).replace(/\.$/, '')
  return /^(\d+|0x[0-9a-f]*)$/.test(last) ? CANONICAL_IPV4.test(name) : true
}

const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:[/?]|$)/i

/**
 * Whether URL parsing keeps `target` (path and query) as it is: it resolves `.` and `..` segments,
 * spelled plain or `%2e`, which only a path that sanitizePath left alone still has.
 */
export function urlKeepsPath(target: string): boolean {
  // Most paths have neither a dot nor an escape after a slash: no regexp for them.
  return (!target.includes('/.') && !target.includes('/%')) || !DOT_SEGMENT.test(target.split('?', 1)[0]!)
}

/** Whether `hostname` is one of `zones` or below one. */
function inZones(hostname: string, zones: readonly string[] | undefined): boolean {
  if (!zones?.length) return false
  const h = hostname.toLowerCase().replace(/\.$/, '')
  return zones.some((z) => h === z || h.endsWith(`.${z}`))
}

/** A Host header's name without its port. */
function hostnameOf(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '')
}

/** CLOUDFLARE_ZONES ("example.com, example.net") as lower-case names. */
export function parseZones(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((z) =>
      z
        .trim()
        .toLowerCase()
        .replace(/^\*?\./, '')
        .replace(/\.$/, ''),
    )
    .filter(Boolean)
}

/** Go's JoinURLPath: one slash between the server's path and the request's. */
function joinPath(a: string, b: string): string {
  const aSlash = a.endsWith('/')
  const bSlash = b.startsWith('/')
  if (aSlash && bSlash) return a + b.slice(1)
  if (!aSlash && !bSlash) return `${a}/${b}`
  return a + b
}
