// The forwarding floor (./forwarding-floor-worker.ts) over a direct upstream service instead of
// the global fetch(): the same headers, sent through the fixed-address service the workerd
// config gives a static upstream (shared/table/upstream-bindings.ts), with the client's Host in
// the URL. What that path costs the runtime by itself, before any work of the edge's own
// (bench/proxy/ab.ts --pass-host --entry-direct --entry floor-direct=bench/proxy/forwarding-floor-direct-worker.ts).
import { directUpstreamBinding } from '../../shared/table/upstream-bindings.ts'
import { forwarded } from './forwarding-floor-worker.ts'

interface Env {
  UPSTREAM: string
  [binding: string]: unknown
}

let service: { fetch(url: string, init: RequestInit): Promise<Response> } | undefined

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    service ??= env[directUpstreamBinding(new URL(env.UPSTREAM).host)] as typeof service
    const { headers, authority, path } = forwarded(request)
    return service!.fetch(`http://${authority}${path}`, { method: request.method, headers, body: request.body, redirect: 'manual' })
  },
}
