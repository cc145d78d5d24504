/**
 * The Durable Object that owns the edge's pooled upstream connections (./pool.ts): I/O made in
 * an object outlives the request that made it, which plain workers forbid. One object per
 * upstream server and transport, in the same worker (so in the same isolate) as the proxy that
 * calls it, with the same bindings: a ServersTransport's own network (its CAs, client
 * certificate) is looked up here by name. Exported by the worker's entry module as
 * `UpstreamPool`; bound as UPSTREAM_POOL.
 *
 * @module
 */
import { channelConnect, type Channel } from '../dial.ts'
import { ProxyError } from '../transport.ts'
import { ConnectionPool } from './pool.ts'
import { errorResponse, fromPoolRequest } from './protocol.ts'

export class UpstreamPool {
  readonly #pool: ConnectionPool

  constructor(_state: unknown, env: Record<string, unknown>) {
    this.#pool = new ConnectionPool((req) => channelConnect(req.channelName === undefined ? undefined : (env[req.channelName] as Channel | undefined), req.channelName))
  }

  async fetch(request: Request): Promise<Response> {
    try {
      return await this.#pool.exchange(fromPoolRequest(request))
    } catch (err) {
      if (err instanceof ProxyError) return errorResponse(err)
      return errorResponse(new ProxyError('unreachable', (err as Error).message))
    }
  }
}
