// The least a proxy with Traefik's forwarded headers must do per request on workerd, and nothing
// else: no table, no routing, no checks. The peer address is only in request.cf (workerd builds
// that object per request), and the headers it and the request give (X-Real-Ip, X-Forwarded-For,
// -Proto, -Port, -Host, -Server) need a mutable copy of the client's. Measured beside the
// pass-through (docs/performance.md, "Proxy"): what the semantics cost before the edge does any
// work of its own. It even skips what the edge cannot: dropping forwarded headers a client forged.
interface Env {
  UPSTREAM: string
}

/** The client's headers plus the forwarded ones, the client's authority and the path with query. */
export function forwarded(request: Request): { headers: Headers; authority: string; path: string } {
  const peer = (request as { cf?: { clientIp?: string } }).cf?.clientIp ?? ''
  const ip = peer.slice(0, peer.lastIndexOf(':'))
  const url = request.url
  const slash = url.indexOf('/', url.indexOf('//') + 2)
  const authority = url.slice(url.indexOf('//') + 2, slash)
  const colon = authority.lastIndexOf(':')
  const headers = new Headers(request.headers)
  headers.set('x-real-ip', ip)
  headers.set('x-forwarded-for', ip)
  headers.set('x-forwarded-proto', 'http')
  headers.set('x-forwarded-port', colon === -1 ? '80' : authority.slice(colon + 1))
  headers.set('x-forwarded-host', authority)
  headers.set('x-forwarded-server', 'traefik-edge')
  return { headers, authority, path: url.slice(slash) }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { headers, path } = forwarded(request)
    return fetch(env.UPSTREAM + path, { method: request.method, headers, body: request.body, redirect: 'manual' })
  },
}
