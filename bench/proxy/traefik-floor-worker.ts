// The forwarding floor (./forwarding-floor-worker.ts) plus what Traefik's semantics add to every
// request before any routing, done with the edge's own functions: one pass over the client's
// headers to drop forwarded headers a client forged and to find hop-by-hop ones
// (shared/http/forwarded.ts readIncoming, forwardedHeaders), X-Forwarded-For set by the proxy, and
// the look at each response for hop-by-hop headers the runtime lets through (needsHopCleanup).
// The least a faithful Traefik proxy costs on workerd: bench/proxy/ab.ts
// --entry traefik-floor=bench/proxy/traefik-floor-worker.ts (docs/performance.md, "Proxy").
import { forwardedHeaders, readIncoming } from '../../shared/http/forwarded.ts'
import { needsHopCleanup } from '../../edge-worker/src/proxy/index.ts'

interface Env {
  UPSTREAM: string
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const peer = (request as { cf?: { clientIp?: string } }).cf?.clientIp ?? ''
    const ip = peer.slice(0, peer.lastIndexOf(':'))
    const url = request.url
    const slash = url.indexOf('/', url.indexOf('//') + 2)
    const incoming = readIncoming(request.headers)
    const host = incoming.host ?? url.slice(url.indexOf('//') + 2, slash)
    const headers = forwardedHeaders(incoming, { clientIp: ip, tls: false, host, hostname: 'traefik-edge', trusted: false })
    headers.set('x-forwarded-for', ip)
    return fetch(env.UPSTREAM + url.slice(slash), { method: request.method, headers, body: request.body, redirect: 'manual' }).then((res) => {
      if (needsHopCleanup(res.headers)) throw new Error('the bench upstream sent hop-by-hop headers')
      return res
    })
  },
}
