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
import type { PoolAnswer, PoolFailure, PoolRoute } from './protocol.ts'

export class UpstreamPool extends DurableObject<Record<string, unknown>> {
  readonly #pool: ConnectionPool

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env)
    this.#pool = new ConnectionPool((route) =>
      channelConnect(route.channelName === undefined ? undefined : (env[route.channelName] as Channel | undefined), route.channelName),
    )
  }

  async exchange(route: PoolRoute, head: Uint8Array, body: ReadableStream<Uint8Array> | null, flags: number): Promise<PoolAnswer | PoolFailure> {
    try {
      return await this.#pool.exchange({ route, head, body, flags })
    } catch (err) {
      if (err instanceof ProxyError) return { error: err.code, message: err.message }
      return { error: 'unreachable', message: (err as Error).message }
    }
  }
}
