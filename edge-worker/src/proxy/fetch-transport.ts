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
  const abort = new AbortController()
  const onClientGone = () => abort.abort()
  req.signal?.addEventListener('abort', onClientGone)
  const headers = new Headers(req.headers)
  headers.set('host', req.host)
  const init: RequestInit = {
    method: req.method,
    headers,
    body: req.body,
    redirect: 'manual',
    signal: abort.signal,
  }
  try {
    return await withDeadline(fetch(req.url, init), req.responseHeaderTimeoutMs, 'waiting for the response head', () => abort.abort())
  } catch (err) {
    if (err instanceof ProxyError) throw err
    if (req.signal?.aborted) throw new ProxyError('canceled', 'client closed the request')
    throw new ProxyError('unreachable', (err as Error).message)
  } finally {
    req.signal?.removeEventListener('abort', onClientGone)
  }
}
