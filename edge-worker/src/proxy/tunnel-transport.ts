/**
 * The upstream through the cluster's tunnel: the Workers VPC Network binding (TUNNEL_BINDING,
 * shared/table/tunnel.ts), whose fetch() goes to the address in the URL through the Cloudflare
 * Tunnel that cloudflared keeps open from the cluster. The table marks the servers that go this way
 * (pod, ClusterIP and node addresses, cluster names); everything else of the proxy (Host,
 * X-Forwarded-*, hop-by-hop headers, timeouts, retries, health, stickiness) is as for any server.
 *
 * Locally the same name is bound to a stand-in with the same fetch() interface
 * (edge-worker/src/local/tunnel-stand-in.ts), so tests run this path over real loopback upstreams.
 *
 * @module
 */
import { TUNNEL_BINDING } from '../../../shared/table/tunnel.ts'
import { fetchTransportVia } from './fetch-transport.ts'
import { ProxyError, type Transport } from './transport.ts'

interface FetcherLike {
  fetch(url: string, init?: RequestInit): Promise<Response>
}

const transports = new WeakMap<FetcherLike, Transport>()

/** The tunnel transport of a worker's bindings; without the binding, one that fails with why. */
export function tunnelTransport(env: Record<string, unknown>): Transport {
  const binding = env[TUNNEL_BINDING] as FetcherLike | undefined
  if (!binding || typeof binding.fetch !== 'function') return missing
  let t = transports.get(binding)
  if (!t) {
    t = fetchTransportVia((url, init) => binding.fetch(url, init), `through ${TUNNEL_BINDING}: `)
    transports.set(binding, t)
  }
  return t
}

function missing(): Promise<Response> {
  return Promise.reject(
    new ProxyError(
      'unreachable',
      `no ${TUNNEL_BINDING} binding: the table reaches this server through the cluster's tunnel (a [[vpc_networks]] binding in wrangler.toml, docs/deploy.md)`,
    ),
  )
}
