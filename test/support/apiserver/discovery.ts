// API discovery as client-go reads it: the legacy documents (/api APIVersions, /apis
// APIGroupList, /apis/G APIGroup, /api/v1 and /apis/G/V APIResourceList) and aggregated discovery
// (apidiscovery.k8s.io v2 and v2beta1 APIGroupDiscoveryList at /api and /apis), which kubectl
// asks for first through the Accept header and falls back from when the answer's Content-Type is
// not the aggregated one.
import { apiVersionOf, type ResourceType } from './resources.ts'

export interface Answer {
  body: unknown
  contentType?: string
}

const STATUS_VERBS = ['get', 'patch', 'update']

function groupsOf(types: readonly ResourceType[]): Map<string, Map<string, ResourceType[]>> {
  const groups = new Map<string, Map<string, ResourceType[]>>()
  for (const t of types) {
    let versions = groups.get(t.group)
    if (!versions) groups.set(t.group, (versions = new Map()))
    versions.set(t.version, [...(versions.get(t.version) ?? []), t])
  }
  return groups
}

/** The Accept header's choice of aggregated discovery version, if any. */
function aggregatedVersion(accept: string): 'v2' | 'v2beta1' | null {
  for (const part of accept.split(',')) {
    if (!/as=APIGroupDiscoveryList/.test(part) || !/g=apidiscovery\.k8s\.io/.test(part)) continue
    const v = /;\s*v=(v2beta1|v2)\b/.exec(part)?.[1]
    if (v === 'v2' || v === 'v2beta1') return v
  }
  return null
}

function versionsOf(versions: Map<string, ResourceType[]>): string[] {
  // Kubernetes' version priority: GA before beta before alpha, higher numbers first.
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v)
    if (!m) return [0, 0, 0]
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)]
  }
  return [...versions.keys()].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)]
    return y[0]! - x[0]! || y[1]! - x[1]! || y[2]! - x[2]!
  })
}

function resourceEntries(types: ResourceType[]) {
  const out: unknown[] = []
  for (const t of types) {
    out.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      ...(t.categories ? { categories: t.categories } : {}),
    })
    if (t.status) out.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: STATUS_VERBS })
  }
  return out
}

function aggregatedGroup(group: string, versions: Map<string, ResourceType[]>) {
  return {
    metadata: { ...(group === '' ? {} : { name: group }), creationTimestamp: null },
    versions: versionsOf(versions).map((version) => ({
      version,
      resources: versions.get(version)!.map((t) => ({
        resource: t.plural,
        responseKind: { group: t.group, version: t.version, kind: t.kind },
        scope: t.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: t.singular,
        verbs: t.verbs,
        ...(t.shortNames ? { shortNames: t.shortNames } : {}),
        ...(t.categories ? { categories: t.categories } : {}),
        ...(t.status
          ? { subresources: [{ subresource: 'status', responseKind: { group: t.group, version: t.version, kind: t.kind }, verbs: STATUS_VERBS }] }
          : {}),
      })),
      freshness: 'Current',
    })),
  }
}

/** The discovery document at `pathname`, or null when it is not a discovery path. */
export function discovery(pathname: string, accept: string, types: readonly ResourceType[], serverAddress: string): Answer | null {
  const path = pathname.replace(/\/+$/, '')
  const groups = groupsOf(types)
  const aggregated = aggregatedVersion(accept)
  const asAggregated = (items: unknown[], v: 'v2' | 'v2beta1'): Answer => ({
    body: { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items },
    contentType: `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`,
  })
  if (path === '/api') {
    if (aggregated) return asAggregated([aggregatedGroup('', groups.get('') ?? new Map())], aggregated)
    return { body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] } }
  }
  const named = [...groups.keys()].filter((g) => g !== '')
  if (path === '/apis') {
    if (aggregated)
      return asAggregated(
        named.map((g) => aggregatedGroup(g, groups.get(g)!)),
        aggregated,
      )
    return { body: { kind: 'APIGroupList', apiVersion: 'v1', groups: named.map((g) => apiGroup(g, groups.get(g)!)) } }
  }
  if (path === '/api/v1') return { body: { kind: 'APIResourceList', groupVersion: 'v1', resources: resourceEntries(groups.get('')?.get('v1') ?? []) } }
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path)
  if (m) {
    const versions = groups.get(m[1]!)
    if (!versions) return null
    if (m[2] === undefined) return { body: { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(m[1]!, versions) } }
    const list = versions.get(m[2])
    if (!list) return null
    return { body: { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(list[0]!), resources: resourceEntries(list) } }
  }
  return null
}

function apiGroup(group: string, versions: Map<string, ResourceType[]>) {
  const ordered = versionsOf(versions).map((version) => ({ groupVersion: `${group}/${version}`, version }))
  return { name: group, versions: ordered, preferredVersion: ordered[0] }
}
