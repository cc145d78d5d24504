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
import { errorResponse, fromPoolCall, type PoolMeta } from './protocol.ts'

export class UpstreamPool extends DurableObject<Record<string, unknown>> {
  readonly #pool: ConnectionPool

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env)
    this.#pool = new ConnectionPool((req) =>
      channelConnect(req.channelName === undefined ? undefined : (env[req.channelName] as Channel | undefined), req.channelName),
    )
  }

  async exchange(meta: PoolMeta, headers: Headers, body: ReadableStream<Uint8Array> | null): Promise<Response> {
    try {
      return await this.#pool.exchange(fromPoolCall(meta, headers, body))
    } catch (err) {
      if (err instanceof ProxyError) return errorResponse(err)
      return errorResponse(new ProxyError('unreachable', (err as Error).message))
    }
  }
}
