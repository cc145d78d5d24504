// The edge on workerd in front of one echo upstream, for tests that only vary the routers and
// middlewares: every router's service is `up` (the echo server on 127.0.0.2, the client's Host
// sent on), plus `viaFetch` when a test needs the other upstream transport.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, type EdgeOptions, type TestEdge } from './edge.ts'
import { startUpstream, type Upstream } from './upstream.ts'

type Http = NonNullable<DynamicConfig['http']>

export interface EchoEdge {
  up: Upstream
  edge: TestEdge
  /** The port of the first entry point, for raw requests. */
  port: number
  stop(): Promise<void>
}

/** Services `up` (passHostHeader: the socket transport on workerd) and `viaFetch` (the server's Host: fetch()) to `url`. */
export function bothTransports(url: string): Http['services'] {
  return {
    up: { loadBalancer: { servers: [{ url }], passHostHeader: true } },
    viaFetch: { loadBalancer: { servers: [{ url }], passHostHeader: false } },
  }
}

/**
 * The edge on workerd in front of `server` (listening on 127.0.0.2), with a router per upstream
 * transport: `fetch.example` (fetch()) and `socket.example` (the socket client).
 */
export async function startEdgeOverBothTransports(server: Server, options: Omit<EdgeOptions, 'input'> = {}): Promise<TestEdge> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.2', r))
  const url = `http://127.0.0.2:${(server.address() as AddressInfo).port}`
  const routers = { fetch: { rule: 'Host(`fetch.example`)', service: 'viaFetch' }, socket: { rule: 'Host(`socket.example`)', service: 'up' } }
  return startEdge({ ...options, input: { config: { http: { routers, services: bothTransports(url) } } } })
}

export async function startEchoEdge(http: Pick<Http, 'routers' | 'middlewares'>, options: Omit<EdgeOptions, 'input'> = {}): Promise<EchoEdge> {
  const up = await startUpstream({ host: '127.0.0.2', name: 'up' })
  try {
    const edge = await startEdge({ ...options, input: { config: { http: { ...http, services: bothTransports(up.url) } } } })
    return {
      up,
      edge,
      port: Number(new URL(edge.url()).port),
      stop: async () => {
        await edge.stop()
        await up.close()
      },
    }
  } catch (err) {
    await up.close()
    throw err
  }
}
