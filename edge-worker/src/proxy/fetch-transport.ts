/**
 * The upstream through the runtime's fetch() (or the fetch() of the ServersTransport's channel:
 * its own trusted CAs and client certificate, ./dial.ts): pooled connections, HTTP/2 on
 * Cloudflare, TLS with the runtime's trust store, WebSocket upgrades. It cannot choose the Host header on workerd (the
 * runtime writes the URL's), so the proxy uses it when the upstream must see the server's own host
 * (or on Cloudflare, which keeps a Host inside the zone).
 *
 * @module
 */
import { ProxyError, withDeadline, type UpstreamRequest } from './transport.ts'

// Not async: a request without a deadline gets fetch()'s promise and one reaction, no frame.
export function fetchTransport(req: UpstreamRequest): Promise<Response> {
  if (req.hostFromUrl !== true) req.headers.set('host', req.host)
  const init: RequestInit = { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' }
  const failed = (err: unknown): never => {
    if (err instanceof ProxyError) throw err
    if (req.signal?.aborted) throw new ProxyError('canceled', 'client closed the request')
    throw new ProxyError('unreachable', (err as Error).message)
  }
  // An abort signal costs on every fetch: only a response-header deadline needs one (a client
  // that goes away cancels the subrequest with the request anyway).
  if (req.channelName !== undefined && !req.channel) return Promise.reject(new ProxyError('unreachable', `the transport's binding ${req.channelName} is not configured in this worker`))
  if (!(req.responseHeaderTimeoutMs > 0)) return (req.channel ? req.channel.fetch(req.url, init) : fetch(req.url, init)).catch(failed)
  const abort = new AbortController()
  init.signal = abort.signal
  return withDeadline(req.channel ? req.channel.fetch(req.url, init) : fetch(req.url, init), req.responseHeaderTimeoutMs, 'waiting for the response head', () => abort.abort()).catch(failed)
}
