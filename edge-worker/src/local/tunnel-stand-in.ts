/**
 * A local stand-in for the Workers VPC Network binding (TUNNEL_BINDING), bound under the same name
 * in the workerd config `npm run edge`, `npm start` and the tests generate, and in the local
 * `wrangler dev` configuration: the same fetch() interface, doing what cloudflared does at the
 * other end of the tunnel. It connects to the address in the request's URL (any host and port),
 * sends the request with the Host header it was given (the URL's when none), speaks TLS when the
 * URL is https (SNI the URL's host, verified against the runtime's trust store), relays WebSocket
 * upgrades, and throws when it cannot connect, as the binding's fetch() does ("When a VPC Network
 * cannot establish a connection to your target service, fetch() throws an exception").
 *
 * Never deployed: wrangler.toml binds the real VPC Network; this module is bundled only for local
 * runs: as its own worker in the generated workerd config (the default export), and as the
 * LocalTunnel entrypoint of the local `wrangler dev` worker (./dev-entry.ts), which binds itself.
 *
 * @module
 */
import { WorkerEntrypoint } from 'cloudflare:workers'
import { isWebSocketUpgrade } from '../../../shared/http/forwarded.ts'
import { socketTransport, socketWebSocket } from '../proxy/socket-transport.ts'
import type { UpstreamRequest } from '../proxy/transport.ts'

/** How long a connection may take, as cloudflared's default connectTimeout (30 s). */
const CONNECT_MS = 30_000

export async function tunnelFetch(request: Request): Promise<Response> {
  const url = new URL(request.url)
  const tls = url.protocol === 'https:'
  const headers = new Headers(request.headers)
  const host = headers.get('host') ?? url.host
  headers.delete('host')
  const upstream: UpstreamRequest = {
    server: { tls, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) || (tls ? 443 : 80), host: url.host },
    url: request.url,
    target: `${url.pathname}${url.search}`,
    method: request.method,
    host,
    headers,
    body: request.body,
    dialTimeoutMs: CONNECT_MS,
    responseHeaderTimeoutMs: 0,
    idleConnTimeoutMs: 0,
    signal: request.signal,
  }
  try {
    return await (isWebSocketUpgrade(headers) ? socketWebSocket : socketTransport)(upstream)
  } catch (err) {
    throw new Error(`ProxyError: ${(err as Error).message}`)
  }
}

export default { fetch: tunnelFetch }

/** The same, as a named entrypoint a worker can bind to itself (`services = [{ ..., entrypoint = "LocalTunnel" }]`). */
export class LocalTunnel extends WorkerEntrypoint {
  override fetch(request: Request): Promise<Response> {
    return tunnelFetch(request)
  }
}
