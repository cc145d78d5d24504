/**
 * How the proxy hands a request to the upstream pool object and reads its answer back: a JS RPC
 * call, `exchange(route, head, body, flags)`, with only strings, bytes and numbers across it, the
 * cheapest values for workerd's RPC to copy (docs/performance-history.md, "pod addresses":
 * Headers, a Response or nested objects each cost a serialization and a rebuild per request).
 * In: the route (server,
 * transport and timeouts) as one string made once per server, the request head already written
 * as HTTP/1.1 by the caller (the client's Host in it), the body stream, a few flags. Out: the
 * response head as received followed by its body when it came whole with the head (one array of
 * bytes), or the head and a stream of the body; the caller parses the head and makes the
 * Response. A failure comes back as a string: the ProxyError's code, a space, its message.
 *
 * @module
 */
import type { ProxyErrorCode, ServerAddress, UpstreamRequest } from '../transport.ts'

/** Where a request goes and how: fixed per server and transport. */
export interface PoolRoute {
  server: ServerAddress
  dialTimeoutMs: number
  responseHeaderTimeoutMs: number
  idleConnTimeoutMs: number
  maxIdleConnsPerHost: number | undefined
  serverName: string | undefined
  channelName: string | undefined
}

/** `flags` bits. */
export const HEAD_METHOD = 1
/** Go's Request.isReplayable: sent once more on a new connection if a reused one is found dead. */
export const REPLAYABLE = 2
/** The body is sent chunk-encoded (no Content-Length). */
export const CHUNKED = 4

/** Head and body bytes in one; the head and a body stream; or a failure (`code message`). */
export type PoolAnswer = Uint8Array | [head: Uint8Array, body: ReadableStream<Uint8Array>] | string

/** The pool object's method, as the proxy's stub sees it. */
export interface PoolStub {
  exchange(route: string, head: Uint8Array, body: ReadableStream<Uint8Array> | null, flags: number): Promise<PoolAnswer>
}

// Tab-separated: no field holds a tab (a host, a binding name, a TLS name, numbers).
const SEP = '\t'

/** The route of a request as the string passed to the object (also the object's name and its pool key). */
export function routeString(req: UpstreamRequest): string {
  const { server } = req
  return [
    server.tls ? 'https' : 'http',
    server.hostname,
    server.port,
    server.host,
    req.dialTimeoutMs,
    req.responseHeaderTimeoutMs,
    req.idleConnTimeoutMs,
    req.maxIdleConnsPerHost ?? '',
    req.serverName ?? '',
    req.channelName ?? '',
  ].join(SEP)
}

/** routeString's inverse. */
export function parseRoute(route: string): PoolRoute {
  const [scheme, hostname, port, host, dial, header, idle, maxIdle, serverName, channelName] = route.split(SEP)
  return {
    server: { tls: scheme === 'https', hostname: hostname!, port: Number(port), host: host! },
    dialTimeoutMs: Number(dial),
    responseHeaderTimeoutMs: Number(header),
    idleConnTimeoutMs: Number(idle),
    maxIdleConnsPerHost: maxIdle === '' ? undefined : Number(maxIdle),
    serverName: serverName || undefined,
    channelName: channelName || undefined,
  }
}

/** Go's Request.isReplayable. */
export function replayable(req: UpstreamRequest): boolean {
  if (req.body !== null) return false
  const m = req.method
  return m === 'GET' || m === 'HEAD' || m === 'OPTIONS' || m === 'TRACE' || req.headers.has('idempotency-key') || req.headers.has('x-idempotency-key')
}

/** `code message`, as a failure crosses the call. */
export function failure(code: ProxyErrorCode, message: string): string {
  return `${code} ${message}`
}

/** failure's inverse. */
export function parseFailure(answer: string): { code: ProxyErrorCode; message: string } {
  const space = answer.indexOf(' ')
  return { code: answer.slice(0, space) as ProxyErrorCode, message: answer.slice(space + 1) }
}
