/**
 * How the proxy hands a request to the upstream pool object and reads its answer back: a JS RPC
 * call, `exchange(meta, headers, body)`: where it goes and with which timeouts as a plain object,
 * the request's own headers and body stream as they are (no Request to build, no header to
 * encode and parse again); a failure comes back as a response naming its ProxyError.
 *
 * @module
 */
import { ProxyError, type ProxyErrorCode, type ServerAddress, type UpstreamRequest } from '../transport.ts'

export const ERROR_HEADER = 'x-traefik-edge-pool-error'

/** The request's facts other than its headers and body. */
export interface PoolMeta {
  server: ServerAddress
  method: string
  target: string
  host: string
  dialTimeoutMs: number
  responseHeaderTimeoutMs: number
  idleConnTimeoutMs: number
  maxIdleConnsPerHost: number | undefined
  serverName: string | undefined
  channelName: string | undefined
}

/** The pool object's method, as the proxy's stub sees it. */
export interface PoolStub {
  exchange(meta: PoolMeta, headers: Headers, body: ReadableStream<Uint8Array> | null): Promise<Response>
}

export function toPoolMeta(req: UpstreamRequest): PoolMeta {
  return {
    server: req.server,
    method: req.method,
    target: req.target,
    host: req.host,
    dialTimeoutMs: req.dialTimeoutMs,
    responseHeaderTimeoutMs: req.responseHeaderTimeoutMs,
    idleConnTimeoutMs: req.idleConnTimeoutMs,
    maxIdleConnsPerHost: req.maxIdleConnsPerHost,
    serverName: req.serverName,
    channelName: req.channelName,
  }
}

/** The pool object's view of it: the UpstreamRequest again. */
export function fromPoolCall(meta: PoolMeta, headers: Headers, body: ReadableStream<Uint8Array> | null): UpstreamRequest {
  return {
    server: meta.server,
    url: '',
    target: meta.target,
    method: meta.method,
    host: meta.host,
    headers,
    body,
    dialTimeoutMs: meta.dialTimeoutMs,
    responseHeaderTimeoutMs: meta.responseHeaderTimeoutMs,
    idleConnTimeoutMs: meta.idleConnTimeoutMs,
    maxIdleConnsPerHost: meta.maxIdleConnsPerHost,
    serverName: meta.serverName,
    channelName: meta.channelName,
    signal: undefined,
  }
}

export function errorResponse(err: ProxyError): Response {
  return new Response(err.message, { status: 502, headers: { [ERROR_HEADER]: err.code } })
}

/** The upstream's response, or the ProxyError the pool reported. */
export function fromPoolResponse(res: Response): Promise<Response> | Response {
  const code = res.headers.get(ERROR_HEADER) as ProxyErrorCode | null
  if (code === null) return res
  return res.text().then((message) => {
    throw new ProxyError(code, message)
  })
}
