// The forwarding floor (./forwarding-floor-worker.ts) plus one JS RPC round trip that does
// nothing: before its fetch() the request calls a no-op method of a Durable Object of the same
// worker, bound as UPSTREAM_POOL exactly as the generated workerd config binds the edge's
// UpstreamPool (control-plane/runtime/workerd-config.ts: same isolate, in-memory storage). What
// the hop from a request to the pool object costs by itself, before any HTTP/1.1 in JavaScript
// (bench/proxy/ab.ts --pass-host --entry rpc-floor=bench/proxy/rpc-floor-worker.ts).
import { DurableObject } from 'cloudflare:workers'
import { forwarded } from './forwarding-floor-worker.ts'

interface Env {
  UPSTREAM: string
  UPSTREAM_POOL: DurableObjectNamespace<UpstreamPool>
}

/** Named as the edge's pool object, so the generated config's binding finds it. */
export class UpstreamPool extends DurableObject {
  ping(): void {}
}

// Ids are plain values, kept; a stub belongs to the request that made it.
let id: DurableObjectId | undefined

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    id ??= env.UPSTREAM_POOL.idFromName(env.UPSTREAM)
    await env.UPSTREAM_POOL.get(id).ping()
    const { headers, path } = forwarded(request)
    return fetch(env.UPSTREAM + path, { method: request.method, headers, body: request.body, redirect: 'manual' })
  },
}
