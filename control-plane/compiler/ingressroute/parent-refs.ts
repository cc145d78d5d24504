/**
 * Multi-layer routing: the router keys a child IngressRoute's routers point to
 * (pkg/provider/kubernetes/crd/kubernetes_http.go's resolveParentRouterNames).
 *
 * @module
 */

import type { CompileContext } from '../context.ts'
import type { IngressRoute } from '../crd/types.ts'
import { FieldError, fieldPath } from '../diagnostics/diagnostics.ts'
import { routerKey } from '../naming/naming.ts'
import { isNamespaceAllowed } from '../references/references.ts'
import { namespaceOf } from '../snapshot/snapshot.ts'

/**
 * Keys of every route of every parent, in order. Throws when a parent is missing or in another
 * namespace without permission: the whole child IngressRoute is then skipped.
 */
export function parentRouterKeys(ctx: CompileContext, ir: IngressRoute): string[] {
  const childNs = namespaceOf(ir)
  const keys: string[] = []
  const refs = ir.spec?.parentRefs ?? []
  refs.forEach((ref, i) => {
    const field = fieldPath('spec', 'parentRefs', i)
    const name = ref?.name ?? ''
    const namespace = ref?.namespace || childNs
    if (!isNamespaceAllowed(ctx.options, childNs, namespace)) {
      throw new FieldError(fieldPath(field, 'namespace'), `parent IngressRoute ${namespace}/${name} is in another namespace (allowCrossNamespace is false)`)
    }
    // The parent is looked up by name among visible IngressRoutes, whatever their class.
    const parent = ctx.index.ingressRoute(namespace, name)
    if (parent === undefined) {
      throw new FieldError(fieldPath(field, 'name'), `parent ${ctx.index.missing('IngressRoute', namespace, name)}`)
    }
    for (const route of parent.spec?.routes ?? []) {
      keys.push(routerKey(namespace, name, route?.match ?? ''))
    }
  })
  return keys
}
