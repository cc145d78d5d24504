// The resource types the test API server serves, and how a request path names one of them
// (/api/v1/... for the core group, /apis/GROUP/VERSION/... otherwise).

export interface ResourceType {
  group: string
  version: string
  /** URL segment, as the API names it. */
  plural: string
  kind: string
  namespaced: boolean
  /** Has a /status subresource (status changed only there, spec only on the main resource). */
  status?: boolean
}

export const RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, status: true },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, status: true },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  ...['IngressRoute', 'Middleware', 'TraefikService', 'TLSOption', 'TLSStore', 'ServersTransport'].map((kind) => ({
    group: 'traefik.io',
    version: 'v1alpha1',
    plural: `${kind.toLowerCase()}s`,
    kind,
    namespaced: true,
  })),
]

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`
}

/** What a request path addresses: a collection (name undefined) or one object, maybe its status. */
export interface Target {
  type: ResourceType
  /** Undefined: every namespace (or a cluster-scoped resource). */
  namespace?: string
  name?: string
  subresource?: 'status'
}

/** Parses a resource path; null when it names nothing this server serves. */
export function parseResourcePath(pathname: string): Target | null {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent)
  let group: string
  let rest: string[]
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = ''
    rest = parts.slice(2)
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!
    rest = parts.slice(3)
  } else {
    return null
  }
  const version = group === '' ? 'v1' : parts[2]!
  const find = (plural: string | undefined) => RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural)
  let namespace: string | undefined
  // /api/v1/namespaces/NAME is the Namespace itself; /api/v1/namespaces/NS/PLURAL... a collection in it.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const type = find(rest[0])
  if (type === undefined || rest.length > 3) return null
  if (namespace !== undefined && !type.namespaced) return null
  if (rest.length === 3 && (rest[2] !== 'status' || !type.status)) return null
  return {
    type,
    ...(namespace === undefined ? {} : { namespace }),
    ...(rest[1] === undefined ? {} : { name: rest[1] }),
    ...(rest.length === 3 ? { subresource: 'status' as const } : {}),
  }
}
