/**
 * Which IngressRoutes a provider with a given ingress class processes (pkg/provider/kubernetes/crd/client.go's
 * ingress class filter).
 *
 * @module
 */

import type { IngressRoute } from '../crd/types.ts'

export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class'

/**
 * `spec.ingressClassName` when the field is set (even to ""), else the annotation. A null field
 * counts as unset, as Go's `*string` reads it.
 */
export function ingressClassOf(ir: IngressRoute): string {
  const className = ir.spec?.ingressClassName
  if (typeof className === 'string') return className
  const annotation = ir.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION]
  return typeof annotation === 'string' ? annotation : ''
}

/** A provider without a class takes unclassed and `traefik` IngressRoutes. */
export function shouldProcess(providerClass: string, ingressClass: string): boolean {
  return providerClass === ingressClass || (providerClass === '' && ingressClass === 'traefik')
}
