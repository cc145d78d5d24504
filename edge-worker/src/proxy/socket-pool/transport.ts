/**
 * The proxy's pooled socket transport: the request goes to the UpstreamPool object for its
 * server (./pool-object.ts), which speaks HTTP/1.1 with the client's Host over a kept-alive
 * connection. Used when the worker has the UPSTREAM_POOL binding (self-hosted workerd and
 * `npm run edge`); without it the proxy opens a socket per request.
 *
 * @module
 */
import { ProxyError, type ServerAddress, type Transport } from '../transport.ts'
import { fromPoolResponse, toPoolMeta, type PoolStub } from './protocol.ts'

export const POOL_BINDING = 'UPSTREAM_POOL'

/** The bits of a Durable Object namespace binding used here. */
export interface PoolNamespace {
  idFromName(name: string): unknown
  get(id: unknown): PoolStub
}

export function pooledSocketTransport(env: Record<string, unknown>): Transport | undefined {
  const ns = env[POOL_BINDING] as PoolNamespace | undefined
  if (!ns || typeof ns.idFromName !== 'function') return undefined
  // Ids are plain values, kept (by the proxy's server address object: one per server and
  // transport); a stub is an I/O object of the request that made it.
  const ids = new WeakMap<ServerAddress, unknown>()
  return async (req) => {
    let id = ids.get(req.server)
    // One object per server and transport: connections of different trust or TLS names never mix.
    if (id === undefined)
      ids.set(
        req.server,
        (id = ns.idFromName(
          `${req.server.tls ? 'https' : 'http'}://${req.server.host}${req.channelName || req.serverName ? `#${req.channelName ?? ''}#${req.serverName ?? ''}` : ''}`,
        )),
      )
    const stub = ns.get(id)
    let res: Response
    try {
      res = await stub.exchange(toPoolMeta(req), req.headers, req.body)
    } catch (err) {
      if (req.signal?.aborted) throw new ProxyError('canceled', 'client closed the request')
      throw new ProxyError('unreachable', `${req.server.host}: ${(err as Error).message}`)
    }
    return fromPoolResponse(res)
  }
}
