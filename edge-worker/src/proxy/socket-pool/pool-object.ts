/**
 * The Durable Object that owns the edge's pooled upstream connections (./pool.ts): I/O made in
 * an object outlives the request that made it, which plain workers forbid. One object per
 * upstream server and transport, in the same worker (so in the same isolate) as the proxy that
 * calls it over JS RPC (./protocol.ts), with the same bindings: a ServersTransport's own network
 * (its CAs, client certificate) is looked up here by name. Exported by the worker's entry module
 * as `UpstreamPool`; bound as UPSTREAM_POOL.
 *
 * @module
 */
import { DurableObject } from 'cloudflare:workers'
import { channelConnect, type Channel } from '../dial.ts'
import { ProxyError } from '../transport.ts'
import { ConnectionPool } from './pool.ts'
import { failure, parseRoute, type PoolAnswer, type PoolRoute } from './protocol.ts'

export class UpstreamPool extends DurableObject<Record<string, unknown>> {
  readonly #pool: ConnectionPool
  /** Route strings parsed once: an object serves one server (a few routes at most, one per set of timeouts). */
  readonly #routes = new Map<string, PoolRoute>()

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env)
    this.#pool = new ConnectionPool((route) =>
      channelConnect(route.channelName === undefined ? undefined : (env[route.channelName] as Channel | undefined), route.channelName),
    )
  }

  async exchange(key: string, head: Uint8Array, body: ReadableStream<Uint8Array> | null, flags: number): Promise<PoolAnswer> {
    let route = this.#routes.get(key)
    if (route === undefined) this.#routes.set(key, (route = parseRoute(key)))
    try {
      return await this.#pool.exchange({ key, route, head, body, flags })
    } catch (err) {
      if (err instanceof ProxyError) return failure(err.code, err.message)
      return failure('unreachable', (err as Error).message)
    }
  }
}
