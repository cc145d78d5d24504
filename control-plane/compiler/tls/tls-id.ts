/**
 * Ids of TLSOption and TLSStore objects, and the rule that a `default` defined in several
 * namespaces cancels itself (pkg/provider/kubernetes/crd/kubernetes.go's
 * makeID, buildTLSOptions and buildTLSStores). Unlike other ids these are not
 * normalized: a TLSOption `my.opt` is `default-my.opt`, which a router's (normalized) reference
 * never matches, exactly as in Traefik.
 *
 * @module
 */

import type { CompileContext } from '../context.ts'
import { makeID } from '../naming/naming.ts'
import type { KubeObject } from '../snapshot/kube-types.ts'
import { nameOf, namespaceOf } from '../snapshot/snapshot.ts'

export const DEFAULT_NAME = 'default'

/** `default` for the object named default (it replaces the global one), else `ns-name`. */
export function tlsObjectID(obj: KubeObject): string {
  const name = nameOf(obj)
  return name === DEFAULT_NAME ? DEFAULT_NAME : makeID(namespaceOf(obj), name)
}

/**
 * When objects named `default` exist in more than one namespace, Traefik cannot tell which one
 * is meant and deletes the id: each of them gets an error and `table.default` is removed.
 */
export function dropAmbiguousDefault(ctx: CompileContext, objects: readonly KubeObject[], table: Record<string, unknown>, what: string): void {
  const defaults = objects.filter((o) => nameOf(o) === DEFAULT_NAME)
  const namespaces = [...new Set(defaults.map(namespaceOf))]
  if (namespaces.length < 2) return
  delete table[DEFAULT_NAME]
  for (const o of defaults) {
    ctx.diagnostics.error(
      ctx.index.ref(o),
      'metadata.name',
      `the default ${what} is defined in several namespaces (${namespaces.join(', ')}): ` + 'none of them is used',
    )
  }
}
