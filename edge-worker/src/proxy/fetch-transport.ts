/**
 * The upstream through the runtime's fetch(): pooled connections, HTTP/2 on Cloudflare, TLS with
 * the runtime's trust store, WebSocket upgrades. It cannot choose the Host header on workerd (the
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
    if (req.signal?.aborted) throw req.signal.reason instanceof ProxyError ? req.signal.reason : new ProxyError('canceled', 'client closed the request')
    throw new ProxyError('unreachable', (err as Error).message)
  }
  // An abort signal costs on every fetch: only a response-header deadline needs one (a client
  // that goes away cancels the subrequest with the request anyway), and a body, which the entry
  // point's read timeout may cut (the request's signal then aborts the subrequest).
  if (req.body !== null && req.signal !== undefined) init.signal = req.signal
  if (!(req.responseHeaderTimeoutMs > 0)) return fetch(req.url, init).catch(failed)
  const abort = new AbortController()
  init.signal = init.signal ? AbortSignal.any([init.signal, abort.signal]) : abort.signal
  return withDeadline(fetch(req.url, init), req.responseHeaderTimeoutMs, 'waiting for the response head', () => abort.abort()).catch(failed)
}
