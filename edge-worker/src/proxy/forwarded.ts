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
  'x-forwarded-proto', 'x-forwarded-scheme', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port',
  'x-forwarded-server', 'x-forwarded-uri', 'x-forwarded-method', 'x-forwarded-prefix',
  'x-forwarded-tls-client-cert', 'x-forwarded-tls-client-cert-info', 'x-scheme', 'x-real-ip',
])

function isManaged(name: string): boolean {
  return MANAGED.has(name.toLowerCase().replaceAll('_', '-'))
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

/**
 * The request headers after the entry point's forwardedHeaders handling, built in one pass
 * (every Headers call crosses into the runtime: one walk and one construction cost far less
 * than a copy followed by deletes and sets).
 */
export function entryPointHeaders(incoming: Headers, info: EntryPointInfo): Headers {
  const connection = incoming.get('connection')
  const upgrade = hasToken(connection, 'upgrade') ? incoming.get('upgrade') : null
  const websocket = upgrade !== null && hasToken(upgrade, 'websocket')
  let named: Set<string> | null = null
  if (connection !== null) {
    named = new Set()
    for (const token of connection.split(',')) {
      const name = token.trim().toLowerCase()
      if (name !== '' && !isManaged(name)) named.add(name)
    }
  }
  const out: Array<[string, string]> = []
  let realIp = ''
  let proto = ''
  let port = ''
  let host = ''
  for (const [name, value] of incoming) {
    if (name === 'connection' || named?.has(name)) continue
    if (isManaged(name)) {
      if (!info.trusted || name === 'x-forwarded-server') continue
      if (name === 'x-real-ip') realIp = value
      else if (name === 'x-forwarded-proto') proto = value
      else if (name === 'x-forwarded-port') port = value
      else if (name === 'x-forwarded-host') host = value
    }
    out.push([name, value])
  }
  if (realIp === '') out.push(['x-real-ip', stripZone(info.clientIp)])
  if (proto === '') out.push(['x-forwarded-proto', (proto = websocket ? (info.tls ? 'wss' : 'ws') : info.tls ? 'https' : 'http')])
  if (port === '') out.push(['x-forwarded-port', forwardedPort(info.host, proto, info.tls)])
  if (host === '' && info.host !== '') out.push(['x-forwarded-host', info.host])
  out.push(['x-forwarded-server', info.hostname])
  if (upgrade !== null) out.push(['upgrade', upgrade], ['connection', 'Upgrade'])
  return new Headers(out)
}

function forwardedPort(host: string, proto: string, tls: boolean): string {
  const port = /^(?:\[[^\]]*\]|[^:]*):(\d+)$/.exec(host)?.[1]
  if (port) return port
  return proto === 'https' || proto === 'wss' || tls ? '443' : '80'
}

/** Go's reverse proxy hop-by-hop list (RFC 9110 7.6.1), removed in both directions. */
const HOP_BY_HOP = ['connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']

/**
 * Removes hop-by-hop headers as Go's ReverseProxy does (headers named in Connection first);
 * an upgrade keeps `Connection: Upgrade` and its `Upgrade`. `TE: trailers` is kept on requests.
 */
export function removeHopByHop(headers: Headers, request: boolean): void {
  const upgrade = hasToken(headers.get('connection'), 'upgrade') ? headers.get('upgrade') : null
  const teTrailers = request && hasToken(headers.get('te'), 'trailers')
  for (const token of (headers.get('connection') ?? '').split(',')) {
    const name = token.trim()
    if (name !== '') headers.delete(name)
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
