/**
 * How references between objects resolve to names (Traefik's makeID and
 * isNamespaceAllowed, pkg/provider/kubernetes/crd/kubernetes.go): middlewares,
 * TLS options, servers transports. Existence is never checked, as in Traefik: a dangling name
 * is emitted unchanged and fails later at runtime.
 *
 * @module
 */

import { FieldError, fieldPath } from '../diagnostics/diagnostics.ts'
import { makeID, normalize, PROVIDER_NAME } from '../naming/naming.ts'
import type { ProviderOptions } from '../options/options.ts'

type RefOptions = Pick<ProviderOptions, 'allowCrossNamespace' | 'crossProviderNamespaces'>

/** A `{name, namespace?}` reference as it appears in CRD specs. */
export interface ObjectReference {
  name?: string
  namespace?: string
}

/** Reports a non-fatal note (for example an ignored namespace) at a field path. */
export type WarnFn = (field: string, message: string) => void

/** `allowCrossNamespace || parentNs == ns` */
export function isNamespaceAllowed(options: Pick<ProviderOptions, 'allowCrossNamespace'>, parentNamespace: string, namespace: string): boolean {
  return options.allowCrossNamespace || parentNamespace === namespace
}

/** null allows every namespace, [] none, otherwise exactly the listed ones. */
export function isCrossProviderNamespaceAllowed(allowList: readonly string[] | null, namespace: string): boolean {
  return allowList === null || allowList.includes(namespace)
}

/** Throws unless the holder's namespace may use a `name@provider` reference. */
export function checkCrossProvider(options: RefOptions, holderNamespace: string, name: string, field: string): void {
  if (!isCrossProviderNamespaceAllowed(options.crossProviderNamespaces, holderNamespace)) {
    throw new FieldError(field, `cross-provider reference "${name}" is not allowed from namespace "${holderNamespace}" ` + `(not in crossProviderNamespaces)`)
  }
}

/**
 * Resolves a Middleware or TLSOption reference held by an object in `parentNamespace`.
 * `field` is the path of the reference object (its `.name`/`.namespace` are reported below it).
 */
export function resolveReference(options: RefOptions, parentNamespace: string, ref: ObjectReference, field: string, warn?: WarnFn): string {
  const name = ref.name ?? ''
  const namespace = ref.namespace ?? ''
  if (name.includes('@')) {
    if (!options.allowCrossNamespace && name.endsWith(`@${PROVIDER_NAME}`)) {
      throw new FieldError(fieldPath(field, 'name'), `reference "${name}" to another namespace's object is not allowed ` + `(allowCrossNamespace is false)`)
    }
    checkCrossProvider(options, parentNamespace, name, fieldPath(field, 'name'))
    if (namespace !== '') {
      warn?.(fieldPath(field, 'namespace'), `namespace "${namespace}" is ignored for the cross-provider reference "${name}"`)
    }
    return name
  }
  const ns = namespace === '' ? parentNamespace : namespace
  if (!isNamespaceAllowed(options, parentNamespace, ns)) {
    throw new FieldError(
      fieldPath(field, 'namespace'),
      `reference to namespace "${ns}" from namespace "${parentNamespace}" is not allowed ` + `(allowCrossNamespace is false)`,
    )
  }
  return normalize(`${ns}-${name}`)
}

/**
 * Resolves a service's `serversTransport` name. It has no namespace field: without `@` the
 * service's namespace is prefixed even when the name already looks qualified.
 */
export function resolveServersTransport(options: RefOptions, serviceNamespace: string, name: string, field: string): string {
  if (name === '') return ''
  if (name.includes('@')) {
    if (!options.allowCrossNamespace && name.endsWith(`@${PROVIDER_NAME}`)) {
      throw new FieldError(field, `serversTransport "${name}" in another namespace is not allowed ` + `(allowCrossNamespace is false)`)
    }
    checkCrossProvider(options, serviceNamespace, name, field)
    return name
  }
  return normalize(makeID(serviceNamespace, name))
}
