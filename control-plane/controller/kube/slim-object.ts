// What the informers keep of an object: the fields the compiler, the Events and the watch itself
// read, nothing else, in place (before the cache holds the object, so the cache holds the slim
// one). Dropped: managedFields, status (a Node's addresses aside), ownerReferences, finalizers,
// every annotation but the ingress class one and every label the provider cannot select on.
// managedFields and kubectl's last-applied-configuration are often more than half of an object,
// and the annotation repeats a Secret's data in plain text. Short strings are interned: the
// same namespace, kind, port name or service name in 100k objects is one string, not 100k.
import type { KubernetesObject } from '@kubernetes/client-node'

const INGRESS_CLASS = 'kubernetes.io/ingress.class'
const SERVICE_NAME = 'kubernetes.io/service-name'
const TRAEFIK_GROUP = 'traefik.io/'
/** Strings at most this long are interned (names, ports, kinds: not rules, certificates, uids). */
const MAX_INTERNED = 40
const MAX_TABLE = 50_000

export interface SlimOptions {
  /** The provider's label selector is set: Traefik objects keep their labels for it. */
  keepTraefikLabels?: boolean
}

const table = new Map<string, string>()

/** The one copy of a short string (bounded: a full table is started afresh). */
export function intern(s: string): string {
  if (s.length > MAX_INTERNED) return s
  const found = table.get(s)
  if (found !== undefined) return found
  if (table.size >= MAX_TABLE) table.clear()
  table.set(s, s)
  return s
}

/** Strings of a parsed JSON value interned, in place. */
function internAll(value: unknown): unknown {
  if (typeof value === 'string') return intern(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = internAll(value[i])
    return value
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>
    for (const k of Object.keys(o)) o[k] = internAll(o[k])
  }
  return value
}

export function slimObject(obj: KubernetesObject, options: SlimOptions = {}): KubernetesObject {
  const meta = obj.metadata
  if (meta === undefined || meta === null) return obj
  const kind = obj.kind ?? ''
  const traefik = (obj.apiVersion ?? '').startsWith(TRAEFIK_GROUP)
  if (obj.kind !== undefined) obj.kind = intern(obj.kind)
  if (obj.apiVersion !== undefined) obj.apiVersion = intern(obj.apiVersion)
  const slim: Record<string, unknown> = {}
  if (meta.name !== undefined) slim.name = meta.name
  if (meta.generateName !== undefined) slim.generateName = meta.generateName
  if (meta.namespace !== undefined) slim.namespace = intern(meta.namespace)
  if (meta.uid !== undefined) slim.uid = meta.uid
  // The watch resumes from it, and a cached object is replaced only when it changes.
  if (meta.resourceVersion !== undefined) slim.resourceVersion = meta.resourceVersion
  // EndpointSlices are ordered by it.
  if (kind === 'EndpointSlice' && meta.creationTimestamp !== undefined) slim.creationTimestamp = meta.creationTimestamp
  const labels = keptLabels(kind, traefik, meta.labels, options)
  if (labels !== undefined) slim.labels = labels
  const ingressClass = meta.annotations?.[INGRESS_CLASS]
  if (kind === 'IngressRoute' && ingressClass !== undefined) slim.annotations = { [INGRESS_CLASS]: intern(ingressClass) }
  obj.metadata = slim as KubernetesObject['metadata']
  const o = obj as KubernetesObject & Record<string, unknown>
  if ('status' in o) {
    const addresses = (o.status as { addresses?: unknown } | undefined)?.addresses
    if (kind === 'Node' && addresses !== undefined) o.status = { addresses: internAll(addresses) }
    else delete o.status
  }
  for (const field of Object.keys(o)) {
    if (field === 'metadata' || field === 'kind' || field === 'apiVersion' || field === 'status') continue
    // Secret data: long base64 values, unique; the rest (specs, slices' endpoints) repeats.
    if (kind === 'Secret' && field === 'data') continue
    o[field] = internAll(o[field])
  }
  return obj
}

function keptLabels(kind: string, traefik: boolean, labels: Record<string, string> | undefined, options: SlimOptions): Record<string, string> | undefined {
  if (labels === undefined || labels === null) return undefined
  if (traefik) return options.keepTraefikLabels ? (internAll({ ...labels }) as Record<string, string>) : undefined
  // The slice's Service; a Secret's owner (Helm's release Secrets are left out by `owner=helm`).
  const key = kind === 'EndpointSlice' ? SERVICE_NAME : kind === 'Secret' ? 'owner' : undefined
  if (key === undefined || labels[key] === undefined) return undefined
  return { [intern(key)]: intern(labels[key]) }
}
