/**
 * Diagnostics pointed at the line of their field (Snapshot.locate), rather than at the first
 * line of the object's document.
 *
 * @module
 */
import type { Diagnostic } from '../diagnostics/diagnostics.ts'
import type { KubeObject } from './kube-types.ts'
import { nameOf, namespaceOf, type Snapshot } from './snapshot.ts'

export function locateDiagnostics(diagnostics: Diagnostic[], snapshot: Pick<Snapshot, 'objects' | 'locate'>): Diagnostic[] {
  const locate = snapshot.locate
  if (!locate || diagnostics.length === 0) return diagnostics
  const find = objectFinder(snapshot.objects)
  return diagnostics.map((d) => {
    const obj = find(d.kind, d.namespace, d.name)
    const at = obj === undefined ? undefined : locate(obj, d.field)
    return at === undefined ? d : { ...d, source: at }
  })
}

/** The object a diagnostic names (`Kind`, namespace, name), the first loaded one when names repeat. */
export function objectFinder(objects: readonly KubeObject[]): (kind: string, namespace: string, name: string) => KubeObject | undefined {
  let index: Map<string, KubeObject> | undefined
  return (kind, namespace, name) => {
    if (!index) {
      index = new Map()
      for (const obj of objects) {
        const key = `${obj.kind}\0${namespaceOf(obj)}\0${nameOf(obj)}`
        if (!index.has(key)) index.set(key, obj)
      }
    }
    return index.get(`${kind}\0${namespace}\0${name}`)
  }
}
