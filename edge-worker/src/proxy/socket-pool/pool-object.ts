/**
 * The Durable Object that owns the edge's pooled upstream connections (./pool.ts): I/O made in
 * an object outlives the request that made it, which plain workers forbid. One object per
 * upstream server, in the same worker (so in the same isolate) as the proxy that calls it.
 * Exported by the worker's entry module as `UpstreamPool`; bound as UPSTREAM_POOL.
 *
 * @module
 */
import { ProxyError } from '../transport.ts'
import { ConnectionPool, type Connect } from './pool.ts'
import { errorResponse, fromPoolRequest } from './protocol.ts'

let sockets: Promise<Connect> | null = null

export class UpstreamPool {
  #pool: Promise<ConnectionPool> | null = null

  async fetch(request: Request): Promise<Response> {
    const pool = await (this.#pool ??= (sockets ??= import('cloudflare:sockets').then((m) => m.connect as unknown as Connect)).then(
      (connect) => new ConnectionPool(connect),
    ))
    try {
      return await pool.exchange(fromPoolRequest(request))
    } catch (err) {
      if (err instanceof ProxyError) return errorResponse(err)
      return errorResponse(new ProxyError('unreachable', (err as Error).message))
    }
  }
}
