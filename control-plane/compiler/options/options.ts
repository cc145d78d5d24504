/**
 * Options of Traefik's Kubernetes CRD provider that change what the compiler produces.
 * Defaults are Traefik's (all permissions off, every namespace watched).
 *
 * @module
 */

export interface ProviderOptions {
  /** Only IngressRoutes of this class are processed; '' processes unclassed and `traefik`. */
  ingressClass: string
  /** Kubernetes label selector applied to Traefik CRD objects only. */
  labelSelector: string
  /** Watched namespaces; null or [] means all. Objects elsewhere are invisible. */
  namespaces: readonly string[] | null
  allowCrossNamespace: boolean
  allowExternalNameServices: boolean
  allowEmptyServices: boolean
  nativeLBByDefault: boolean
  /** No cluster-scope lookups (Nodes): NodePort load balancing then fails. */
  disableClusterScopeResources: boolean
  /** Namespaces allowed to hold `name@provider` references; null allows all, [] none. */
  crossProviderNamespaces: readonly string[] | null
}

export const DEFAULT_PROVIDER_OPTIONS: Readonly<ProviderOptions> = Object.freeze({
  ingressClass: '',
  labelSelector: '',
  namespaces: null,
  allowCrossNamespace: false,
  allowExternalNameServices: false,
  allowEmptyServices: false,
  nativeLBByDefault: false,
  disableClusterScopeResources: false,
  crossProviderNamespaces: null,
})

export function withDefaults(options: Partial<ProviderOptions> = {}): ProviderOptions {
  const out: ProviderOptions = { ...DEFAULT_PROVIDER_OPTIONS }
  for (const key of Object.keys(options) as Array<keyof ProviderOptions>) {
    const v = options[key]
    if (v !== undefined) (out as unknown as Record<string, unknown>)[key] = v
  }
  return out
}
