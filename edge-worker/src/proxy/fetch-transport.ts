/**
 * The upstream through the runtime's fetch(): pooled connections, HTTP/2 on Cloudflare, TLS with
 * the runtime's trust store, WebSocket upgrades. It cannot choose the Host header on workerd (the
 * runtime writes the URL's), so the proxy uses it when the upstream must see the server's own host
 * (or on Cloudflare, which keeps a Host inside the zone).
 *
 * @module
 */
import { ProxyError, withDeadline, type UpstreamRequest } from './transport.ts'

export async function fetchTransport(req: UpstreamRequest): Promise<Response> {
  // An abort signal costs on every fetch: only a response-header deadline needs one (a client
  // that goes away cancels the subrequest with the request anyway).
  const abort = req.responseHeaderTimeoutMs > 0 ? new AbortController() : null
  req.headers.set('host', req.host)
  const init: RequestInit = { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' }
  if (abort) init.signal = abort.signal
  try {
    const sent = fetch(req.url, init)
    return abort ? await withDeadline(sent, req.responseHeaderTimeoutMs, 'waiting for the response head', () => abort.abort()) : await sent
  } catch (err) {
    if (err instanceof ProxyError) throw err
    if (req.signal?.aborted) throw new ProxyError('canceled', 'client closed the request')
    throw new ProxyError('unreachable', (err as Error).message)
  }
}
