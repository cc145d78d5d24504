/**
 * Which Kubernetes object each name of the dynamic configuration comes from. The compiler keeps
 * no back references, but Traefik's names are a function of the object (naming.ts), so the same
 * functions run over the loaded objects give the index.
 *
 * @module
 */
import { kubeServiceKey, makeID, normalize, routerKey, traefikServiceKey } from '../compiler/naming/naming.ts'
import { nameOf, namespaceOf } from '../compiler/snapshot/snapshot.ts'
import type { KubeObject } from '../compiler/snapshot/kube-types.ts'
import type { Snapshot } from '../compiler/index.ts'

export interface SourceRef {
  kind: string
  namespace: string
  name: string
  /** `file:line` where the object was read, when known. */
  location?: string
  /** The part of the object that made it (`spec.routes[1]`). */
  field?: string
}

export interface SourceIndex {
  routers: Map<string, SourceRef>
  services: Map<string, SourceRef>
  middlewares: Map<string, SourceRef>
  tlsOptions: Map<string, SourceRef>
  transports: Map<string, SourceRef>
}

/** What one object makes, by name: computed once per object (the informers' objects are immutable). */
type Entry = [keyof SourceIndex, string, SourceRef]
const entriesOf = new WeakMap<KubeObject, { location: string | undefined; entries: Entry[] }>()

export function indexSources(snapshot: Snapshot): SourceIndex {
  const index: SourceIndex = { routers: new Map(), services: new Map(), middlewares: new Map(), tlsOptions: new Map(), transports: new Map() }
  for (const obj of snapshot.objects) {
    for (const [map, key, ref] of sourcesOf(obj, snapshot.sources?.get(obj))) if (!index[map].has(key)) index[map].set(key, ref)
  }
  return index
}

/**
 * The names one object gives the dynamic configuration, each with where in the object (in an
 * index, the first object of a name wins). Kept per object (the incremental pipeline's index,
 * pipeline/incremental/live-sources.ts, asks again for an object it saw).
 */
export function sourcesOf(obj: KubeObject, location?: string): readonly Entry[] {
  let known = entriesOf.get(obj)
  if (known === undefined || known.location !== location) entriesOf.set(obj, (known = { location, entries: entries(obj, location) }))
  return known.entries
}

function entries(obj: KubeObject, location: string | undefined): Entry[] {
  const ns = namespaceOf(obj)
  const name = nameOf(obj)
  const ref = (field?: string): SourceRef => ({ kind: obj.kind ?? '', namespace: ns, name, ...(location ? { location } : {}), ...(field ? { field } : {}) })
  const out: Entry[] = []
  switch (obj.kind) {
    case 'IngressRoute':
      routesOf(obj).forEach((match, i) => {
        if (match === null) return
        const key = routerKey(ns, name, match)
        out.push(['routers', key, ref(`spec.routes[${i}]`)])
        // A route's own load balancer (or weighted service) is named after its router.
        out.push(['services', key, ref(`spec.routes[${i}].services`)])
      })
      break
    case 'Middleware':
      out.push(['middlewares', normalize(makeID(ns, name)), ref()])
      break
    case 'TraefikService':
      out.push(['services', traefikServiceKey(ns, name), ref()])
      break
    case 'Service':
      for (const [i, p] of portsOf(obj).entries()) {
        for (const key of [p.port, p.name]) if (key !== undefined && key !== '') out.push(['services', kubeServiceKey(ns, name, key), ref(`spec.ports[${i}]`)])
      }
      break
    case 'TLSOption':
      out.push(['tlsOptions', name === 'default' ? 'default' : normalize(makeID(ns, name)), ref()])
      break
    case 'ServersTransport':
      out.push(['transports', normalize(makeID(ns, name)), ref()])
      break
  }
  return out
}

function routesOf(obj: KubeObject): Array<string | null> {
  const routes = (obj as { spec?: { routes?: unknown } }).spec?.routes
  if (!Array.isArray(routes)) return []
  return routes.map((r) =>
    typeof r === 'object' && r !== null && typeof (r as { match?: unknown }).match === 'string' ? (r as { match: string }).match : null,
  )
}

function portsOf(obj: KubeObject): Array<{ port?: number | string; name?: string }> {
  const ports = (obj as { spec?: { ports?: unknown } }).spec?.ports
  return Array.isArray(ports) ? (ports.filter((p) => typeof p === 'object' && p !== null) as Array<{ port?: number; name?: string }>) : []
}

/** `IngressRoute demo/site (examples/routes.yaml:12) spec.routes[0]`. */
export function formatSource(s: SourceRef): string {
  const id = s.namespace ? `${s.namespace}/${s.name}` : s.name
  return `${s.kind} ${id}${s.location ? ` (${s.location})` : ''}${s.field ? ` ${s.field}` : ''}`
}
