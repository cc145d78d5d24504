/**
 * The shapes Traefik's API lists and shows elements in (pkg/api handler_http.go): the runtime
 * element plus its `name`, `provider` and, per kind, `priorityStr` (routers) or `type`
 * (services and middlewares: the configured type's name, lower case). Pure copies: showing a
 * router never changes what rawdata serves.
 *
 * @module
 */
import type { MiddlewareInfo, RouterInfo, ServiceInfo } from './runtime.ts'

/** Service types in the order Traefik's Service struct declares them (the first one set names the type). */
const SERVICE_TYPES = ['loadBalancer', 'highestRandomWeight', 'weighted', 'mirroring', 'failover']

/** Fields of a runtime middleware that are not its configuration. */
const MIDDLEWARE_META = new Set(['error', 'status', 'usedBy'])

export type Representation<T> = T & { name: string; provider?: string }

function provider(name: string): { provider?: string } {
  const at = name.indexOf('@')
  return at === -1 ? {} : { provider: name.slice(at + 1) }
}

export function routerRepresentation(name: string, r: RouterInfo): Representation<RouterInfo> & { priorityStr: string } {
  // A TLS router without options shows the default ones.
  const tls = r.tls !== undefined && r.tls !== null && !r.tls.options ? { tls: { ...r.tls, options: 'default' } } : {}
  return { ...r, ...tls, name, ...provider(name), priorityStr: String(r.priority ?? 0) }
}

export function serviceRepresentation(name: string, s: ServiceInfo): Representation<ServiceInfo> & { type?: string } {
  const type = SERVICE_TYPES.find((t) => s[t] !== undefined && s[t] !== null)
  return { ...s, name, ...provider(name), ...(type ? { type: type.toLowerCase() } : {}) }
}

export function middlewareRepresentation(name: string, m: MiddlewareInfo): Representation<MiddlewareInfo> & { type?: string } {
  const type = middlewareType(m)
  return { ...m, name, ...provider(name), ...(type ? { type: type.toLowerCase() } : {}) }
}

/** The configured type: its field name, or a plugin's name. */
export function middlewareType(m: MiddlewareInfo): string | undefined {
  for (const [key, value] of Object.entries(m)) {
    if (MIDDLEWARE_META.has(key) || value === undefined || value === null) continue
    if (key !== 'plugin') return key
    const plugins = Object.keys(value as object)
    if (plugins.length === 1) return plugins[0]
  }
  return undefined
}

/** How many servers a service lists itself (its load balancer's), for sortBy=servers. */
export function serversCount(s: ServiceInfo): number {
  const lb = s.loadBalancer as { servers?: unknown[] } | undefined
  return lb?.servers?.length ?? 0
}
