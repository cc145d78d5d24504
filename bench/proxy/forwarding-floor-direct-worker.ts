// The forwarding floor (./forwarding-floor-worker.ts) over a direct upstream service instead of
// the global fetch(): the same headers, sent through the fixed-address service the workerd
// config gives a static upstream (shared/table/upstream-bindings.ts), with the client's Host in
// the URL. What that path costs the runtime by itself, before any work of the edge's own
// (bench/proxy/ab.ts --pass-host --entry-direct --entry floor-direct=bench/proxy/forwarding-floor-direct-worker.ts).
import { directUpstreamBinding } from '../../shared/table/upstream-bindings.ts'

interface Env {
  UPSTREAM: string
  [binding: string]: unknown
}

let service: { fetch(url: string, init: RequestInit): Promise<Response> } | undefined

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    service ??= env[directUpstreamBinding(new URL(env.UPSTREAM).host)] as typeof service
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
    return service!.fetch(`http://${authority}${url.slice(slash)}`, { method: request.method, headers, body: request.body, redirect: 'manual' })
  },
}
