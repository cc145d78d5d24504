/**
 * The flags of Traefik's Kubernetes CRD provider, taken by every command that compiles (compile,
 * edge, explain, diff, controller), with Traefik's defaults when absent.
 *
 * @module
 */
import type { ProviderOptions } from '../compiler/index.ts'
import { commaList, type Flag, type Values } from './command.ts'

const group = "Traefik's provider (its defaults when absent)"

export const PROVIDER_FLAGS = {
  'allow-cross-namespace': { type: 'boolean', group, help: 'references across namespaces are allowed' },
  'allow-external-name-services': { type: 'boolean', group, help: 'ExternalName Services may be used' },
  'allow-empty-services': { type: 'boolean', group, help: 'services without endpoints are kept (no servers)' },
  'native-lb-by-default': { type: 'boolean', group, help: "use the Service's ClusterIP instead of its endpoints" },
  'ingress-class': { type: 'string', value: 'NAME', group, help: 'only IngressRoutes of this class (kubernetes.io/ingress.class)' },
  'label-selector': { type: 'string', value: 'SELECTOR', group, help: 'only Traefik objects matching these labels' },
  namespaces: { type: 'string', value: 'NS[,NS...]', defaultText: 'all', group, help: 'only objects in these namespaces' },
  'cross-provider-namespaces': { type: 'string', value: 'NS[,NS...]', defaultText: 'all', group, help: 'namespaces allowed to use name@provider references' },
  'disable-cluster-scope-resources': { type: 'boolean', group, help: 'no Node lookups (NodePort load balancing fails)' },
} as const satisfies Record<string, Flag>

/** Provider options from parsed flag values. */
export function providerOptionsFromFlags(values: Values<typeof PROVIDER_FLAGS>): ProviderOptions {
  return {
    allowCrossNamespace: values['allow-cross-namespace'],
    allowExternalNameServices: values['allow-external-name-services'],
    allowEmptyServices: values['allow-empty-services'],
    nativeLBByDefault: values['native-lb-by-default'],
    disableClusterScopeResources: values['disable-cluster-scope-resources'],
    ingressClass: values['ingress-class'] ?? '',
    labelSelector: values['label-selector'] ?? '',
    // An empty value is an empty list (`--cross-provider-namespaces=`): no namespace allowed.
    namespaces: values.namespaces === undefined ? null : commaList(values.namespaces),
    crossProviderNamespaces: values['cross-provider-namespaces'] === undefined ? null : commaList(values['cross-provider-namespaces']),
  }
}
