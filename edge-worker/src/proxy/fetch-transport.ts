/**
 * The upstream through a fetch(): the runtime's own (pooled connections, HTTP/2 on Cloudflare, TLS
 * with the runtime's trust store, WebSocket upgrades), the one of the request's channel (a
 * ServersTransport's own network or mtls_certificates binding, or a direct upstream service:
 * ./dial.ts), or a binding's with the same interface (the cluster's tunnel, ./tunnel-transport.ts).
 * It cannot choose the Host header on workerd (the
 * runtime writes the URL's), so the proxy uses it when the upstream must see the server's own host
 * (or on Cloudflare, which keeps an in-zone Host, and through the tunnel, which is assumed to keep
 * the Host header it is given).
 *
 * @module
 */
import { ProxyError, withDeadline, type UpstreamRequest } from './transport.ts'

/** What the transport calls: global fetch(), or a Fetcher binding's fetch(). */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>

/** A fetch transport, with its two halves for a caller that reacts to the answer anyway (the proxy). */
export interface FetchTransport {
  (req: UpstreamRequest): Promise<Response>
  /**
   * The fetch's own promise when no deadline applies (else null): its rejections are the runtime's
   * errors, which `failure` turns into ProxyErrors. The proxy reacts to it once, where the whole
   * transport would add a reaction, a promise and two closures to every request.
   */
  unguarded(req: UpstreamRequest): Promise<Response> | null
  failure(err: unknown, req: UpstreamRequest): ProxyError
}

/**
 * A transport over `fetcher`; `via` names it in error messages (a binding's failure is not the
 * upstream's). With `channels`, a request's channel (UpstreamRequest.channel) fetches instead.
 */
export function fetchTransportVia(fetcher: Fetch, via = '', channels = false): FetchTransport {
  const failure = (err: unknown, req: UpstreamRequest): ProxyError => {
    if (err instanceof ProxyError) return err
    if (req.signal?.aborted) return req.signal.reason instanceof ProxyError ? req.signal.reason : new ProxyError('canceled', 'client closed the request')
    return new ProxyError('unreachable', `${via}${(err as Error).message}`)
  }
  const send = (req: UpstreamRequest, init: RequestInit): Promise<Response> => {
    const channel = channels ? req.channel : undefined
    return channel ? channel.fetch(req.url, init) : fetcher(req.url, init)
  }
  const initOf = (req: UpstreamRequest): RequestInit => {
    if (req.hostFromUrl !== true) req.headers.set('host', req.host)
    const init: RequestInit = { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' }
    if (req.resolveOverride !== undefined) (init as RequestInit & { cf?: unknown }).cf = { resolveOverride: req.resolveOverride }
    // An abort signal costs on every fetch: only a response-header deadline needs one (a client
    // that goes away cancels the subrequest with the request anyway), and a body, which the entry
    // point's read timeout may cut (the request's signal then aborts the subrequest).
    if (req.body !== null && req.signal !== undefined) init.signal = req.signal
    return init
  }
  const missingChannel = (req: UpstreamRequest): Promise<never> | null =>
    channels && req.channelName !== undefined && !req.channel
      ? Promise.reject(new ProxyError('unreachable', `the transport's binding ${req.channelName} is not configured in this worker`))
      : null
  const unguarded = (req: UpstreamRequest): Promise<Response> | null => {
    if (req.responseHeaderTimeoutMs > 0) return null
    return missingChannel(req) ?? send(req, initOf(req))
  }
  const transport = (req: UpstreamRequest): Promise<Response> => {
    const missing = missingChannel(req)
    if (missing !== null) return missing
    const init = initOf(req)
    const failed = (err: unknown): never => {
      throw failure(err, req)
    }
    if (!(req.responseHeaderTimeoutMs > 0)) return send(req, init).catch(failed)
    const abort = new AbortController()
    init.signal = init.signal ? AbortSignal.any([init.signal, abort.signal]) : abort.signal
    return withDeadline(send(req, init), req.responseHeaderTimeoutMs, 'waiting for the response head', () => abort.abort()).catch(failed)
  }
  return Object.assign(transport, { unguarded, failure })
}

/** The runtime's own fetch(), or the request's channel's. */
export const fetchTransport = fetchTransportVia((url, init) => fetch(url, init), '', true)
