/**
 * The command-line flags every command that compiles takes (`compile`, `edge`): Traefik's
 * provider options, with Traefik's defaults when absent. For `node:util` `parseArgs`.
 *
 * @module
 */

import type { ProviderOptions } from './options.ts'

export const PROVIDER_FLAGS = {
  'allow-cross-namespace': { type: 'boolean' },
  'allow-external-name-services': { type: 'boolean' },
  'allow-empty-services': { type: 'boolean' },
  'native-lb-by-default': { type: 'boolean' },
  'ingress-class': { type: 'string' },
  'label-selector': { type: 'string' },
  namespaces: { type: 'string' },
  'cross-provider-namespaces': { type: 'string' },
  'disable-cluster-scope-resources': { type: 'boolean' },
} as const

export const PROVIDER_FLAGS_USAGE = `  --allow-cross-namespace            references across namespaces are allowed
  --allow-external-name-services     ExternalName Services may be used
  --allow-empty-services             services without endpoints are kept (no servers)
  --native-lb-by-default             use the Service ClusterIP instead of endpoints
  --ingress-class NAME               only IngressRoutes of this class
  --label-selector SELECTOR          only Traefik objects matching these labels
  --namespaces NS[,NS...]            only objects in these namespaces
  --cross-provider-namespaces NS,... namespaces allowed to use name@provider references
  --disable-cluster-scope-resources  no Node lookups (NodePort load balancing fails)`

type FlagValues = { [K in keyof typeof PROVIDER_FLAGS]?: (typeof PROVIDER_FLAGS)[K]['type'] extends 'boolean' ? boolean : string }

/** Provider options from parsed flag values. */
export function providerOptionsFromFlags(values: FlagValues): ProviderOptions {
  return {
    allowCrossNamespace: values['allow-cross-namespace'] === true,
    allowExternalNameServices: values['allow-external-name-services'] === true,
    allowEmptyServices: values['allow-empty-services'] === true,
    nativeLBByDefault: values['native-lb-by-default'] === true,
    disableClusterScopeResources: values['disable-cluster-scope-resources'] === true,
    ingressClass: values['ingress-class'] ?? '',
    labelSelector: values['label-selector'] ?? '',
    namespaces: list(values.namespaces) ?? null,
    crossProviderNamespaces: list(values['cross-provider-namespaces']) ?? null,
  }
}

/** A comma-separated list; an empty value is an empty list (`--cross-provider-namespaces=`). */
function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
