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

/**
 * A transport over `fetcher`; `via` names it in error messages (a binding's failure is not the
 * upstream's). With `channels`, a request's channel (UpstreamRequest.channel) fetches instead.
 */
export function fetchTransportVia(fetcher: Fetch, via = '', channels = false): (req: UpstreamRequest) => Promise<Response> {
  // Not async: a request without a deadline gets the fetch's promise and one reaction, no frame.
  return function fetchTransport(req) {
    if (req.hostFromUrl !== true) req.headers.set('host', req.host)
    const init: RequestInit = { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' }
    if (req.resolveOverride !== undefined) (init as RequestInit & { cf?: unknown }).cf = { resolveOverride: req.resolveOverride }
    const failed = (err: unknown): never => {
      if (err instanceof ProxyError) throw err
      if (req.signal?.aborted) throw new ProxyError('canceled', 'client closed the request')
      throw new ProxyError('unreachable', `${via}${(err as Error).message}`)
    }
    if (channels && req.channelName !== undefined && !req.channel)
      return Promise.reject(new ProxyError('unreachable', `the transport's binding ${req.channelName} is not configured in this worker`))
    const channel = channels ? req.channel : undefined
    // An abort signal costs on every fetch: only a response-header deadline needs one (a client
    // that goes away cancels the subrequest with the request anyway).
    if (!(req.responseHeaderTimeoutMs > 0)) return (channel ? channel.fetch(req.url, init) : fetcher(req.url, init)).catch(failed)
    const abort = new AbortController()
    init.signal = abort.signal
    return withDeadline(channel ? channel.fetch(req.url, init) : fetcher(req.url, init), req.responseHeaderTimeoutMs, 'waiting for the response head', () =>
      abort.abort(),
    ).catch(failed)
  }
}

/** The runtime's own fetch(), or the request's channel's. */
export const fetchTransport = fetchTransportVia((url, init) => fetch(url, init), '', true)
