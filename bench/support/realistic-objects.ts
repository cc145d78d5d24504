/**
 * Objects as a cluster really holds them after `helm upgrade --install` and a `kubectl apply`:
 * Helm's labels and annotations, kubectl's last-applied-configuration (the whole object again, as
 * JSON), and managedFields entries for both managers with fieldsV1 covering every field set, and
 * the server's uid, generation and creationTimestamp. What the propagation benchmark's realistic
 * rows list and watch (the controller slims all of this away on arrival).
 */
import { randomUUID } from 'node:crypto'

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> }

/** fieldsV1 of a value: `f:<field>` per key, `{}` at the leaves, `k:`/`i:` keys for list items. */
function fieldsOf(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = { '.': {} }
    value.forEach((item, i) => {
      const key = typeof item === 'object' && item !== null && 'name' in item ? `k:{"name":${JSON.stringify((item as { name: unknown }).name)}}` : `i:${i}`
      out[key] = { '.': {}, ...fieldsOf(item) }
    })
    return out
  }
  if (typeof value !== 'object' || value === null) return {}
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[`f:${k}`] = typeof v === 'object' && v !== null ? fieldsOf(v) : {}
  return out
}

export function realisticObject<T extends Obj>(object: T, release = 'edge-routes'): T {
  const meta = { ...(object.metadata ?? {}) }
  const labels = {
    ...(meta.labels as Record<string, string> | undefined),
    'app.kubernetes.io/managed-by': 'Helm',
    'app.kubernetes.io/instance': release,
    'app.kubernetes.io/name': 'edge-routes',
    'app.kubernetes.io/version': '1.24.3',
    'helm.sh/chart': 'edge-routes-1.24.3',
    team: 'platform',
  }
  const annotations: Record<string, string> = {
    ...(meta.annotations as Record<string, string> | undefined),
    'meta.helm.sh/release-name': release,
    'meta.helm.sh/release-namespace': String(meta.namespace ?? 'default'),
    'argocd.argoproj.io/tracking-id': `${release}:${String(object.apiVersion).split('/')[0]}/${object.kind}:${String(meta.namespace)}/${String(meta.name)}`,
  }
  const applied = { ...object, metadata: { name: meta.name, namespace: meta.namespace, labels, annotations } }
  annotations['kubectl.kubernetes.io/last-applied-configuration'] = `${JSON.stringify(applied)}\n`
  const { metadata: _m, apiVersion: _a, kind: _k, ...body } = object
  const time = '2026-11-29T05:52:00Z'
  return {
    ...object,
    metadata: {
      ...meta,
      labels,
      annotations,
      uid: meta.uid ?? randomUUID(),
      generation: 3,
      creationTimestamp: meta.creationTimestamp ?? time,
      managedFields: [
        {
          manager: 'helm',
          operation: 'Update',
          apiVersion: object.apiVersion,
          time,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:annotations': fieldsOf({ 'meta.helm.sh/release-name': 1, 'meta.helm.sh/release-namespace': 1 }), 'f:labels': fieldsOf(labels) },
            ...fieldsOf(body),
          },
        },
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: object.apiVersion,
          time,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } } },
        },
        {
          manager: 'argocd-controller',
          operation: 'Apply',
          apiVersion: object.apiVersion,
          time,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:argocd.argoproj.io/tracking-id': {} } } },
        },
      ],
    },
  }
}
