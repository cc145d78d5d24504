// What the controller watches, and where: Traefik's CRD provider reads these kinds (pkg/provider/kubernetes/crd/client.go
// and pkg/provider/kubernetes/crd/kubernetes.go's isNamespaceAllowed). With `namespaces` set there is one watch per namespace (Traefik's client does the same),
// else one cluster-wide watch per kind. The label selector applies to Traefik's own kinds only.
import type { ProviderOptions } from '../../compiler/index.ts'

export interface WatchedKind {
  kind: string
  apiVersion: string
  /** Collection path for a namespace, or cluster-wide when undefined. */
  path(namespace?: string): string
  traefik: boolean
  /** Server-side field selector. */
  fieldSelector?: string
  /** Server-side label selector besides the provider's (Traefik kinds get the provider's). */
  labelSelector?: string
}

function kindOf(kind: string, group: string, version: string, plural: string, traefik = false, extra: Partial<WatchedKind> = {}): WatchedKind {
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`
  return {
    kind,
    apiVersion: group === '' ? version : `${group}/${version}`,
    path: (ns) => (ns === undefined ? `${prefix}/${plural}` : `${prefix}/namespaces/${encodeURIComponent(ns)}/${plural}`),
    traefik,
    ...extra,
  }
}

export const TRAEFIK_WATCHED: readonly WatchedKind[] = ['IngressRoute', 'Middleware', 'TraefikService', 'TLSOption', 'TLSStore', 'ServersTransport'].map((k) =>
  kindOf(k, 'traefik.io', 'v1alpha1', `${k.toLowerCase()}s`, true),
)

export const CORE_WATCHED: readonly WatchedKind[] = [
  kindOf('Service', '', 'v1', 'services'),
  kindOf('EndpointSlice', 'discovery.k8s.io', 'v1', 'endpointslices'),
  // Secrets: only the types Traefik objects can name (Opaque, TLS, basic-auth...). Helm release and
  // service-account-token Secrets are most of a real cluster's Secrets and are filtered by the API
  // server; Traefik's own `owner!=helm` rule goes server-side too. The compiler reads by name only
  // the Secrets Traefik objects reference; a watch per referenced name would need re-subscribing
  // whenever references change, and a cluster-wide Secret watch is what Traefik itself holds.
  kindOf('Secret', '', 'v1', 'secrets', false, {
    fieldSelector: 'type!=helm.sh/release.v1,type!=kubernetes.io/service-account-token',
    labelSelector: 'owner!=helm',
  }),
]

/** Cluster-scoped: Nodes, for NodePort load balancing (not watched with disableClusterScopeResources). */
export const NODE_WATCHED: WatchedKind = kindOf('Node', '', 'v1', 'nodes')

/** The kinds in the order the cache's snapshot lists them (informers in this order: cluster-cache.ts). */
export const SNAPSHOT_KINDS: readonly string[] = [...TRAEFIK_WATCHED, ...CORE_WATCHED, NODE_WATCHED].map((k) => k.kind)

/** One entry per informer to run. */
export interface WatchTarget {
  kind: WatchedKind
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
  /** For logs and metrics: `IngressRoute` or `IngressRoute@ns`. */
  id: string
}

/**
 * `secretNamespaces`: read Secrets only in these namespaces (one watch each), for a ServiceAccount
 * that may read Secrets there only (deploy/secrets-in-namespaces); default: as the other kinds.
 */
export function watchTargets(
  provider: Pick<ProviderOptions, 'namespaces' | 'labelSelector'> & { disableClusterScopeResources?: boolean },
  secretNamespaces?: readonly string[] | null,
): WatchTarget[] {
  const namespaces = provider.namespaces && provider.namespaces.length > 0 ? [...new Set(provider.namespaces)] : [undefined]
  const out: WatchTarget[] = []
  for (const kind of [...TRAEFIK_WATCHED, ...CORE_WATCHED]) {
    const labels = [kind.traefik ? provider.labelSelector : '', kind.labelSelector ?? ''].filter((s) => s !== '').join(',')
    const scopes = kind.kind === 'Secret' && secretNamespaces && secretNamespaces.length > 0 ? [...new Set(secretNamespaces)] : namespaces
    for (const namespace of scopes) {
      out.push({
        kind,
        ...(namespace === undefined ? {} : { namespace }),
        ...(labels === '' ? {} : { labelSelector: labels }),
        ...(kind.fieldSelector ? { fieldSelector: kind.fieldSelector } : {}),
        id: namespace === undefined ? kind.kind : `${kind.kind}@${namespace}`,
      })
    }
  }
  if (!provider.disableClusterScopeResources) out.push({ kind: NODE_WATCHED, id: 'Node' })
  return out
}
