/**
 * How the proxy hands a request to the upstream pool object and reads its answer back: the
 * request's own method, headers and body travel as a Request to the object; where it goes and
 * with which timeouts in one header; a failure comes back as a response naming its ProxyError.
 *
 * @module
 */
import { ProxyError, type ProxyErrorCode, type ServerAddress, type UpstreamRequest } from '../transport.ts'

export const META_HEADER = 'x-traefik-edge-pool'
export const ERROR_HEADER = 'x-traefik-edge-pool-error'

interface Meta {
  server: ServerAddress
  method: string
  target: string
  host: string
  dialTimeoutMs: number
  responseHeaderTimeoutMs: number
  idleConnTimeoutMs: number
  maxIdleConnsPerHost?: number
  serverName?: string
  channelName?: string
  /** A bodyless POST still arrives with a (empty) body stream: whether there was one. */
  body: boolean
}

/** The Request the proxy sends the pool object (POST: a GET Request cannot carry a body). */
export function toPoolRequest(req: UpstreamRequest): Request {
  const meta: Meta = {
    server: req.server,
    method: req.method,
    target: req.target,
    host: req.host,
    dialTimeoutMs: req.dialTimeoutMs,
    responseHeaderTimeoutMs: req.responseHeaderTimeoutMs,
    idleConnTimeoutMs: req.idleConnTimeoutMs,
    ...(req.maxIdleConnsPerHost === undefined ? {} : { maxIdleConnsPerHost: req.maxIdleConnsPerHost }),
    ...(req.serverName === undefined ? {} : { serverName: req.serverName }),
    ...(req.channelName === undefined ? {} : { channelName: req.channelName }),
    body: req.body !== null,
  }
  req.headers.set(META_HEADER, JSON.stringify(meta))
  return new Request('http://upstream-pool/', { method: 'POST', headers: req.headers, body: req.body, redirect: 'manual', signal: req.signal ?? null })
}

/** The pool object's view of it: the UpstreamRequest again. */
export function fromPoolRequest(request: Request): UpstreamRequest {
  const meta = JSON.parse(request.headers.get(META_HEADER) ?? 'null') as Meta | null
  if (meta === null) throw new Error(`${META_HEADER} missing`)
  return {
    server: meta.server,
    url: '',
    target: meta.target,
    method: meta.method,
    host: meta.host,
    // Read only (a copy costs more than leaving the meta header out when writing).
    headers: request.headers,
    omitHeader: META_HEADER,
    body: meta.body ? request.body : null,
    dialTimeoutMs: meta.dialTimeoutMs,
    responseHeaderTimeoutMs: meta.responseHeaderTimeoutMs,
    idleConnTimeoutMs: meta.idleConnTimeoutMs,
    ...(meta.maxIdleConnsPerHost === undefined ? {} : { maxIdleConnsPerHost: meta.maxIdleConnsPerHost }),
    ...(meta.serverName === undefined ? {} : { serverName: meta.serverName }),
    ...(meta.channelName === undefined ? {} : { channelName: meta.channelName }),
    signal: request.signal ?? undefined,
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
