// The least a proxy with Traefik's forwarded headers must do per request on workerd, and nothing
// else: no table, no routing, no checks. The peer address is only in request.cf (workerd builds
// that object per request), and the headers it and the request give (X-Real-Ip, X-Forwarded-For,
// -Proto, -Port, -Host, -Server) need a mutable copy of the client's. Measured beside the
// pass-through (docs/performance.md, "Proxy"): what the semantics cost before the edge does any
// work of its own. It even skips what the edge cannot: dropping forwarded headers a client forged.
interface Env {
  UPSTREAM: string
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
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
    return fetch(env.UPSTREAM + url.slice(slash), { method: request.method, headers, body: request.body, redirect: 'manual' })
  },
}
