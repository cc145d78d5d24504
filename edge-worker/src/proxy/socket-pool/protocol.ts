/**
 * How the proxy hands a request to the upstream pool object and reads its answer back: a JS RPC
 * call, `exchange(route, head, body, flags)`. Bytes and plain values cross it, nothing the runtime
 * must rebuild on the other side: the request head already written as HTTP/1.1 by the caller
 * (the client's Host in it), the body stream, a few flags; back come the status, the header fields
 * as a flat list of strings and the body (bytes when it came whole with the head, else a stream),
 * and the caller makes the Response. Headers and a Response passed over RPC each cost a
 * serialization and a rebuild per request (docs/pool-path-measurements.md). A failure comes back
 * as the ProxyError's code and message.
 *
 * @module
 */
import type { ProxyErrorCode, ServerAddress, UpstreamRequest } from '../transport.ts'

/** Where a request goes and how: fixed per server and transport, so made once per server by the caller. */
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

/** The upstream's answer: hop-by-hop fields still in `fields` (the caller leaves them out). */
export interface PoolAnswer {
  status: number
  statusText: string
  /** Name, value, name, value... as received. */
  fields: string[]
  body: Uint8Array | ReadableStream<Uint8Array> | null
}

export interface PoolFailure {
  error: ProxyErrorCode
  message: string
}

/** The pool object's method, as the proxy's stub sees it. */
export interface PoolStub {
  exchange(route: PoolRoute, head: Uint8Array, body: ReadableStream<Uint8Array> | null, flags: number): Promise<PoolAnswer | PoolFailure>
}

export function toPoolRoute(req: UpstreamRequest): PoolRoute {
  return {
    server: req.server,
    dialTimeoutMs: req.dialTimeoutMs,
    responseHeaderTimeoutMs: req.responseHeaderTimeoutMs,
    idleConnTimeoutMs: req.idleConnTimeoutMs,
    maxIdleConnsPerHost: req.maxIdleConnsPerHost,
    serverName: req.serverName,
    channelName: req.channelName,
  }
}

/** Go's Request.isReplayable. */
export function replayable(req: UpstreamRequest): boolean {
  if (req.body !== null) return false
  const m = req.method
  return m === 'GET' || m === 'HEAD' || m === 'OPTIONS' || m === 'TRACE' || req.headers.has('idempotency-key') || req.headers.has('x-idempotency-key')
}
