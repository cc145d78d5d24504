/**
 * Forwarded headers as Traefik's entry point (forwardedHeaders) and reverse proxy write them.
 *
 * Entry point: unless the client is trusted, every X-Forwarded-*, X-Real-Ip (and their
 * underscore spellings) it sent is dropped; then X-Real-Ip, X-Forwarded-Proto (ws/wss for
 * WebSocket upgrades), -Port and -Host are set when absent, X-Forwarded-Server always; headers
 * named in Connection are removed, except those managed X- headers.
 * Proxy: the client IP is appended to X-Forwarded-For, unless a middleware emptied it.
 *
 * @module
 */

const MANAGED = new Set([
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-uri',
  'x-forwarded-method',
  'x-forwarded-prefix',
  'x-forwarded-tls-client-cert',
  'x-forwarded-tls-client-cert-info',
  'x-scheme',
  'x-real-ip',
])

function isManaged(name: string): boolean {
  return MANAGED.has(name.toLowerCase().replaceAll('_', '-'))
}

/** What the entry point learnt of the headers it wrote (filled in when asked for). */
export interface EntryPointFacts {
  /** No hop-by-hop header and no X-Forwarded-For left: the proxy has nothing to remove or append to. */
  clean: boolean
}

export interface EntryPointInfo {
  clientIp: string
  tls: boolean
  /** Go's req.Host. */
  host: string
  /** X-Forwarded-Server: the name of this edge. */
  hostname: string
  /** The client may set forwarded headers itself (Traefik's trustedIPs / insecure). */
  trusted: boolean
}

export function isWebSocketUpgrade(headers: Headers): boolean {
  return hasToken(headers.get('connection'), 'upgrade') && hasToken(headers.get('upgrade'), 'websocket')
}

/** The client's headers as one pass over them found them (readIncoming), and their copy. */
export interface IncomingHeaders {
  /** A mutable copy of what the client sent. */
  copy: Headers
  /** Host as sent (Go's req.Host); null without one. */
  host: string | null
  connection: string | null
  /** Upgrade as sent, when Connection names it. */
  upgrade: string | null
  /** Managed X- names (any spelling) the client sent. */
  spoofed: string[] | null
  /** A hop-by-hop header other than Connection is present. */
  hop: boolean
  /** What a trusted client may have set itself. */
  realIp: string
  proto: string
  port: string
  forwardedHost: string
}

/**
 * A copy of the client's headers and, from one pass over its entries, what the entry point and
 * the router need (Host, Connection, spoofed names). On workerd every Headers call costs the
 * request a µs or more under load: a pass that yields values beats a get() per name.
 */
export function readIncoming(incoming: Headers): IncomingHeaders {
  const copy = new Headers(incoming)
  const read: IncomingHeaders = {
    copy,
    host: null,
    connection: null,
    upgrade: null,
    spoofed: null,
    hop: false,
    realIp: '',
    proto: '',
    port: '',
    forwardedHost: '',
  }
  // forEach with `read` as its receiver: no iterator object, nor an array and a result object per header.
  copy.forEach(readEntry, read)
  if (read.upgrade !== null && !hasToken(read.connection, 'upgrade')) read.upgrade = null
  return read
}

/** One header of readIncoming's pass; Upgrade is kept in `upgrade` until Connection is known to name it. */
function readEntry(this: IncomingHeaders, value: string, name: string): void {
  if (name.startsWith('x')) {
    if (isManaged(name)) {
      ;(this.spoofed ??= []).push(name)
      if (name === 'x-real-ip') this.realIp = value
      else if (name === 'x-forwarded-proto') this.proto = value
      else if (name === 'x-forwarded-port') this.port = value
      else if (name === 'x-forwarded-host') this.forwardedHost = value
    }
  } else if (name === 'host') this.host = value
  else if (name === 'connection') this.connection = value
  else if (HOP_BY_HOP.includes(name)) {
    this.hop = true
    if (name === 'upgrade') this.upgrade = value
  }
}

/** The request headers after the entry point's forwardedHeaders handling (a new Headers). */
export function entryPointHeaders(incoming: Headers, info: EntryPointInfo, facts?: EntryPointFacts): Headers {
  return forwardedHeaders(readIncoming(incoming), info, facts)
}

/**
 * The entry point's forwardedHeaders handling on the copy readIncoming made, which it returns.
 *
 * Shaped by what workerd charges: a native copy plus targeted deletes and sets costs a few µs,
 * where building Headers from a JS list costs over 15 µs (measured on workerd 1.20261117, and
 * again with bench/proxy/ab.ts).
 */
export function forwardedHeaders(read: IncomingHeaders, info: EntryPointInfo, facts?: EntryPointFacts): Headers {
  const h = read.copy
  const { connection, upgrade } = read
  const websocket = upgrade !== null && hasToken(upgrade, 'websocket')
  let realIp = ''
  let proto = ''
  let port = ''
  let forwardedHost = ''
  if (info.trusted) {
    ;({ realIp, proto, port, forwardedHost } = read)
  } else {
    // Underscore spellings such as X_Forwarded_For go too: they reach some backends as the real thing.
    if (read.spoofed) for (const name of read.spoofed) h.delete(name)
    // Connection (and what it names) goes below; an upgrade puts Connection and Upgrade back.
    if (facts) facts.clean = upgrade === null && !read.hop
  }
  if (realIp === '') h.set('x-real-ip', stripZone(info.clientIp))
  if (proto === '') h.set('x-forwarded-proto', (proto = websocket ? (info.tls ? 'wss' : 'ws') : info.tls ? 'https' : 'http'))
  if (port === '') h.set('x-forwarded-port', forwardedPort(info.host, proto, info.tls))
  if (forwardedHost === '' && info.host !== '') h.set('x-forwarded-host', info.host)
  h.set('x-forwarded-server', info.hostname)
  if (connection !== null) {
    for (const token of connection.split(',')) {
      const name = token.trim()
      if (name !== '' && !isManaged(name)) h.delete(name)
    }
    h.delete('connection')
    if (upgrade !== null) {
      h.set('upgrade', upgrade)
      h.set('connection', 'Upgrade')
    }
  }
  return h
}

/** The port of `host` (`name:port` or `[v6]:port`), else the scheme's. */
export function forwardedPort(host: string, proto: string, tls: boolean): string {
  // By hand: a regexp's match array on every request (most Hosts have no port: one scan).
  const colon = host.lastIndexOf(':')
  if (colon !== -1 && colon < host.length - 1 && allDigits(host, colon + 1)) {
    // The name before it: `[...]` with no `]` inside, or anything without a colon.
    const bracketed = host.startsWith('[') && host.indexOf(']') === colon - 1
    if (bracketed || host.indexOf(':') === colon) return host.slice(colon + 1)
  }
  return proto === 'https' || proto === 'wss' || tls ? '443' : '80'
}

function allDigits(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/** Go's reverse proxy hop-by-hop list (RFC 9110 7.6.1), removed in both directions. */
const HOP_BY_HOP = [
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]

/**
 * Removes hop-by-hop headers as Go's ReverseProxy does (headers named in Connection first);
 * an upgrade keeps `Connection: Upgrade` and its `Upgrade`. `TE: trailers` is kept on requests.
 */
export function removeHopByHop(headers: Headers, request: boolean): void {
  // Deletes by name: on workerd a pass over headers.keys() costs more than these deletes.
  const connection = headers.get('connection')
  const upgrade = hasToken(connection, 'upgrade') ? headers.get('upgrade') : null
  const teTrailers = request && hasToken(headers.get('te'), 'trailers')
  if (connection !== null) {
    for (const token of connection.split(',')) {
      const name = token.trim()
      if (name !== '') headers.delete(name)
    }
  }
  for (const name of HOP_BY_HOP) headers.delete(name)
  if (teTrailers) headers.set('te', 'trailers')
  if (upgrade) {
    headers.set('connection', 'Upgrade')
    headers.set('upgrade', upgrade)
  }
}

/** X-Forwarded-For as the proxy sends it: prior values + the client IP. */
export function appendForwardedFor(headers: Headers, clientIp: string): void {
  const prior = headers.get('x-forwarded-for')
  headers.set('x-forwarded-for', prior ? `${prior}, ${clientIp}` : clientIp)
}

function hasToken(value: string | null, token: string): boolean {
  if (!value) return false
  return value.split(',').some((t) => t.trim().toLowerCase() === token)
}

function stripZone(ip: string): string {
  const pct = ip.indexOf('%')
  return pct === -1 ? ip : ip.slice(0, pct)
}
