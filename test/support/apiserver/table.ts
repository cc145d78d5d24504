// meta.k8s.io/v1 Table answers, which `kubectl get` asks for (Accept: application/json;as=Table):
// the Name column, a CRD's additionalPrinterColumns (Age when it declares none), or a few
// columns for the built-in kinds, with each row's object as PartialObjectMetadata.
import type { PrinterColumn, ResourceType } from './resources.ts'
import type { Obj } from './store.ts'

export function wantsTable(accept: string): boolean {
  return /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept)
}

const BUILTIN_COLUMNS: Record<string, PrinterColumn[]> = {
  Namespace: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }],
  Service: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Cluster-IP', type: 'string', jsonPath: '.spec.clusterIP' },
    { name: 'Port(s)', type: 'string', jsonPath: '.spec.ports' },
  ],
  Secret: [
    { name: 'Type', type: 'string', jsonPath: '.type' },
    { name: 'Data', type: 'string', jsonPath: '.data' },
  ],
  Lease: [{ name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity' }],
  Event: [
    { name: 'Type', type: 'string', jsonPath: '.type' },
    { name: 'Reason', type: 'string', jsonPath: '.reason' },
    { name: 'Object', type: 'string', jsonPath: '.involvedObject' },
    { name: 'Message', type: 'string', jsonPath: '.message' },
  ],
}

/** Kubernetes' HumanDuration (k8s.io/apimachinery/pkg/util/duration), for Age cells. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`
  if (m < 180) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`
  if (h < 48) return `${h}h`
  const days = Math.floor(h / 24)
  if (h < 24 * 8) return h % 24 === 0 ? `${days}d` : `${days}d${h % 24}h`
  if (days < 365 * 2) return `${days}d`
  return `${Math.floor(days / 365)}y`
}

function at(obj: unknown, jsonPath: string): unknown {
  const parts = jsonPath
    .replace(/^\{?\.?/, '')
    .replace(/\}$/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '')
  return parts.reduce<unknown>((o, k) => (o === null || o === undefined ? undefined : (o as Record<string, unknown>)[k]), obj)
}

function cell(obj: Obj, col: PrinterColumn, kind: string, now: number): unknown {
  const v = at(obj, col.jsonPath)
  if (kind === 'Service' && col.name === 'Port(s)')
    return (
      ((v ?? []) as Array<{ port: number; protocol?: string; nodePort?: number }>)
        .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
        .join(',') || '<none>'
    )
  if (kind === 'Secret' && col.name === 'Data') return Object.keys((v ?? {}) as object).length
  if (kind === 'Event' && col.name === 'Object') {
    const o = (v ?? {}) as { kind?: string; name?: string }
    return `${(o.kind ?? '').toLowerCase()}/${o.name ?? ''}`
  }
  if (v === undefined || v === null) return null
  if (col.type === 'date' && typeof v === 'string') return humanDuration(now - Date.parse(v))
  if (typeof v === 'object') return JSON.stringify(v)
  return v
}

export function toTable(type: ResourceType, objects: Obj[], listMeta: Record<string, unknown>, now = Date.now()): unknown {
  const columns: PrinterColumn[] = [
    { name: 'Name', type: 'string', format: 'name', jsonPath: '.metadata.name', description: 'Name must be unique within a namespace.' },
    ...(type.columns ?? [...(BUILTIN_COLUMNS[type.kind] ?? []), { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }]),
  ]
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type === 'date' ? 'string' : c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => cell(o, c, type.kind, now)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  }
}
