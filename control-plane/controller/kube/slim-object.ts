// What the informers keep of an object: managedFields and kubectl's last-applied-configuration
// annotation are dropped on arrival (in place, before the cache holds the object). Neither is read
// by the compiler; together they are often more than half of an object's size, and the annotation
// repeats a Secret's data in plain text.
import type { KubernetesObject } from '@kubernetes/client-node'

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

export function slimObject(obj: KubernetesObject): KubernetesObject {
  const meta = obj.metadata
  if (meta === undefined || meta === null) return obj
  if (meta.managedFields !== undefined) delete meta.managedFields
  const annotations = meta.annotations
  if (annotations !== undefined && annotations !== null && LAST_APPLIED in annotations) {
    delete annotations[LAST_APPLIED]
    if (Object.keys(annotations).length === 0) delete meta.annotations
  }
  return obj
}
