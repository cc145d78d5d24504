/**
 * A snapshot of Kubernetes objects (what the provider's informers would hold) and the indexes
 * the compiler looks things up in. Visibility rules live here, so every builder sees the
 * cluster the way Traefik's client does (pkg/provider/kubernetes/crd/client.go,
 * pkg/provider/kubernetes/crd/kubernetes.go's isNamespaceAllowed):
 * - only watched namespaces are visible (`namespaces` option);
 * - the `labelSelector` option filters Traefik CRD objects only;
 * - Secrets labelled `owner=helm` are invisible;
 * - Nodes are invisible when cluster-scope resources are disabled.
 *
 * @module
 */

import type { IngressRoute, Middleware, ServersTransport, TLSOption, TLSStore, TraefikService } from '../crd/types.ts'
import type { DiagnosticSink, ObjectRef } from '../diagnostics/diagnostics.ts'
import type { ProviderOptions } from '../options/options.ts'
import type { ConfigMap, EndpointSlice, KubeObject, Node, Secret, Service } from './kube-types.ts'
import { parseLabelSelector, type LabelMatcher } from './label-selector.ts'

export interface Snapshot {
  objects: readonly KubeObject[]
  /** Where each object was read from (`file.yaml#2`), for messages. */
  sources?: ReadonlyMap<KubeObject, string>
  /** Where a field of an object was read from (`file.yaml:12`: the line of the field, or of its closest ancestor present). */
  locate?: (obj: KubeObject, field: string) => string | undefined
}

export const TRAEFIK_GROUP = 'traefik.io'
/** Traefik v2's API group, no longer served by Traefik v3. */
export const LEGACY_TRAEFIK_GROUP = 'traefik.containo.us'

export const TRAEFIK_KINDS = ['IngressRoute', 'Middleware', 'TraefikService', 'TLSOption', 'TLSStore', 'ServersTransport'] as const
export type TraefikKind = (typeof TRAEFIK_KINDS)[number]

/** Kinds read by the HTTP provider that live outside the Traefik API group. */
const CORE_KINDS: Record<string, string> = {
  Service: '',
  Secret: '',
  ConfigMap: '',
  Node: '',
  EndpointSlice: 'discovery.k8s.io',
}

const CLUSTER_SCOPED = new Set(['Node', 'Namespace', 'IngressClass'])

/** Label of an EndpointSlice naming its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

const HELM_SECRETS = parseLabelSelector('owner!=helm')

export function apiGroup(apiVersion: string | undefined): string {
  if (apiVersion === undefined) return ''
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? '' : apiVersion.slice(0, slash)
}

/** The object's name, or its generateName when the name is empty (as Traefik's IngressRoute name). */
export function nameOf(obj: KubeObject): string {
  const meta = obj.metadata
  if (meta === undefined || meta === null || typeof meta !== 'object') return ''
  const name = typeof meta.name === 'string' ? meta.name : ''
  return name
}

/** Namespace of a namespaced object; `default` when unset, as kubectl applies it. */
export function namespaceOf(obj: KubeObject): string {
  if (CLUSTER_SCOPED.has(obj.kind ?? '')) return ''
  const ns = obj.metadata?.namespace
  return typeof ns === 'string' && ns !== '' ? ns : 'default'
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`
}

export class SnapshotIndex {
  readonly options: ProviderOptions
  readonly ingressRoutes: IngressRoute[] = []
  readonly middlewares: Middleware[] = []
  readonly traefikServices: TraefikService[] = []
  readonly tlsOptions: TLSOption[] = []
  readonly tlsStores: TLSStore[] = []
  readonly serversTransports: ServersTransport[] = []
  /** Visible Nodes (none when cluster-scope resources are disabled). */
  nodes: readonly Node[] = []

  private readonly byKind = new Map<string, Map<string, KubeObject>>()
  private readonly slicesByService = new Map<string, readonly EndpointSlice[]>()
  private readonly sources: ReadonlyMap<KubeObject, string> | undefined
  private readonly watched: ReadonlySet<string> | null
  private readonly selector: LabelMatcher

  /**
   * Throws when `options.labelSelector` is invalid (Traefik refuses to start then).
   * Duplicates and objects of Traefik v2's API group are reported to `diagnostics`.
   */
  constructor(snapshot: Snapshot, options: ProviderOptions, diagnostics?: DiagnosticSink) {
    this.options = options
    this.sources = snapshot.sources
    const ns = options.namespaces
    this.watched = ns === null || ns.length === 0 ? null : new Set(ns)
    this.selector = parseLabelSelector(options.labelSelector)

    for (const obj of snapshot.objects) {
      const seen = this.visible(obj, diagnostics)
      if (seen === null) continue
      const { kind, namespace, key: k, isTraefik } = seen
      if (kind === 'Node') {
        ;(this.nodes as Node[]).push(obj as Node)
        continue
      }
      let table = this.byKind.get(kind)
      if (table === undefined) this.byKind.set(kind, (table = new Map()))
      const previous = table.get(k)
      if (previous !== undefined) {
        diagnostics?.warn(this.ref(obj), '', `defined more than once${this.sourceSuffix(previous)}; this definition replaces the earlier one`)
        this.replace(kind, previous, obj)
      } else if (isTraefik) {
        this.listOf(kind as TraefikKind).push(obj)
      }
      table.set(k, obj)
      if (kind === 'EndpointSlice') this.addSlice(namespace, obj as EndpointSlice, previous)
    }
    for (const [k, slices] of this.slicesByService) this.slicesByService.set(k, [...slices].sort(compareSlices))
  }

  /** Where an object goes in the index, or null when the provider would not see it. */
  private visible(obj: KubeObject, diagnostics?: DiagnosticSink): { kind: string; namespace: string; key: string; isTraefik: boolean } | null {
    if (obj === null || typeof obj !== 'object' || typeof obj.kind !== 'string') return null
    const name = nameOf(obj)
    const kind = obj.kind
    const group = apiGroup(obj.apiVersion)
    const isTraefik = (TRAEFIK_KINDS as readonly string[]).includes(kind)
    if (isTraefik && group === LEGACY_TRAEFIK_GROUP) {
      diagnostics?.warn(this.ref(obj), 'apiVersion', `${obj.apiVersion} is not served by Traefik v3; use ${TRAEFIK_GROUP}/v1alpha1 (object ignored)`)
      return null
    }
    if (isTraefik ? group !== TRAEFIK_GROUP : CORE_KINDS[kind] !== group) return null
    if (name === '' && !(kind === 'IngressRoute' && obj.metadata?.generateName)) return null
    const namespace = namespaceOf(obj)
    if (kind === 'Node') return this.options.disableClusterScopeResources ? null : { kind, namespace, key: name, isTraefik }
    if (!this.isWatched(namespace)) return null
    if (isTraefik && !this.selector(obj.metadata?.labels)) return null
    if (kind === 'Secret' && !HELM_SECRETS(obj.metadata?.labels)) return null
    return { kind, namespace, key: key(namespace, name === '' ? `generateName:${obj.metadata?.generateName}` : name), isTraefik }
  }

  /**
   * Live use (control-plane/pipeline/incremental): the object replaces whatever the index held
   * under its kind, namespace and name, or is left out when the provider would not see it. The
   * per-kind lists (`ingressRoutes`...) are not kept up to date: a live index is looked up, not
   * iterated. Slice lists and `nodes` are replaced, never changed in place.
   */
  upsert(obj: KubeObject): void {
    const kind = typeof obj?.kind === 'string' ? obj.kind : ''
    this.remove(kind, kind === 'Node' ? '' : namespaceOf(obj), nameOf(obj))
    const seen = this.visible(obj)
    if (seen === null) return
    if (seen.kind === 'Node') {
      // By name, as a sorted snapshot lists them (NodePort servers come in node order).
      const name = nameOf(obj)
      const at = this.nodes.findIndex((n) => nameOf(n) > name)
      this.nodes = at < 0 ? [...this.nodes, obj as Node] : [...this.nodes.slice(0, at), obj as Node, ...this.nodes.slice(at)]
      return
    }
    let table = this.byKind.get(seen.kind)
    if (table === undefined) this.byKind.set(seen.kind, (table = new Map()))
    table.set(seen.key, obj)
    if (seen.kind === 'EndpointSlice') this.addSlice(seen.namespace, obj as EndpointSlice, undefined)
  }

  /** Live use: takes the object of this kind, namespace and name out; returns what was there. */
  remove(kind: string, namespace: string, name: string): KubeObject | undefined {
    if (kind === 'Node') {
      const at = this.nodes.findIndex((n) => nameOf(n) === name)
      if (at < 0) return undefined
      const gone = this.nodes[at]
      this.nodes = this.nodes.filter((_, i) => i !== at)
      return gone
    }
    const table = this.byKind.get(kind)
    const k = key(namespace, name)
    const previous = table?.get(k)
    if (previous === undefined) return undefined
    table!.delete(k)
    if (kind === 'EndpointSlice') this.removeSlice(namespace, previous as EndpointSlice)
    return previous
  }

  /** Live use: the visible objects of a kind, by namespace/name. */
  objectsOf(kind: string): ReadonlyMap<string, KubeObject> {
    return this.byKind.get(kind) ?? new Map()
  }

  /** Whether objects in this namespace are visible at all. */
  isWatched(namespace: string): boolean {
    return this.watched === null || this.watched.has(namespace)
  }

  get<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string): T | undefined {
    return this.byKind.get(kind)?.get(key(namespace, name)) as T | undefined
  }

  service(namespace: string, name: string): Service | undefined {
    return this.get<Service>('Service', namespace, name)
  }

  secret(namespace: string, name: string): Secret | undefined {
    return this.get<Secret>('Secret', namespace, name)
  }

  configMap(namespace: string, name: string): ConfigMap | undefined {
    return this.get<ConfigMap>('ConfigMap', namespace, name)
  }

  ingressRoute(namespace: string, name: string): IngressRoute | undefined {
    return this.get<IngressRoute>('IngressRoute', namespace, name)
  }

  /** Slices labelled for the Service, by creationTimestamp then name. */
  endpointSlices(namespace: string, serviceName: string): readonly EndpointSlice[] {
    return this.slicesByService.get(key(namespace, serviceName)) ?? []
  }

  /**
   * Why a lookup found nothing: "not found", or the namespace is not watched (Traefik's client
   * returns an error then).
   */
  missing(kind: string, namespace: string, name: string): string {
    if (!this.isWatched(namespace)) {
      return `${kind} ${namespace}/${name}: namespace "${namespace}" is not within the watched namespaces`
    }
    return `${kind} ${namespace}/${name} not found`
  }

  sourceOf(obj: KubeObject): string | undefined {
    return this.sources?.get(obj)
  }

  /** The object as the subject of diagnostics. */
  ref(obj: KubeObject): ObjectRef {
    const name = nameOf(obj) || (obj.metadata?.generateName ?? '')
    const ref: ObjectRef = { kind: obj.kind ?? 'Document', namespace: namespaceOf(obj), name }
    const source = this.sourceOf(obj)
    if (source !== undefined) ref.source = source
    return ref
  }

  private sourceSuffix(obj: KubeObject): string {
    const source = this.sourceOf(obj)
    return source === undefined ? '' : ` (first in ${source})`
  }

  private listOf(kind: TraefikKind): KubeObject[] {
    switch (kind) {
      case 'IngressRoute':
        return this.ingressRoutes
      case 'Middleware':
        return this.middlewares
      case 'TraefikService':
        return this.traefikServices
      case 'TLSOption':
        return this.tlsOptions
      case 'TLSStore':
        return this.tlsStores
      case 'ServersTransport':
        return this.serversTransports
    }
  }

  private replace(kind: string, previous: KubeObject, next: KubeObject): void {
    if (!(TRAEFIK_KINDS as readonly string[]).includes(kind)) return
    const list = this.listOf(kind as TraefikKind)
    const at = list.indexOf(previous)
    if (at >= 0) list[at] = next
  }

  private addSlice(namespace: string, slice: EndpointSlice, previous: KubeObject | undefined): void {
    if (previous !== undefined) this.removeSlice(namespace, previous as EndpointSlice)
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL]
    if (typeof service !== 'string' || service === '') return
    const k = key(namespace, service)
    const list = this.slicesByService.get(k) ?? []
    // A new array, in order: the lists handed out stay as they were (the incremental pipeline
    // compares what a lookup found before with what it finds now).
    const next = [...list, slice]
    if (list.length > 0 && compareSlices(list[list.length - 1]!, slice) > 0) next.sort(compareSlices)
    this.slicesByService.set(k, next)
  }

  private removeSlice(namespace: string, slice: EndpointSlice): void {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL]
    if (typeof service !== 'string') return
    const k = key(namespace, service)
    const list = this.slicesByService.get(k)
    if (list === undefined || !list.includes(slice)) return
    const next = list.filter((s) => s !== slice)
    if (next.length === 0) this.slicesByService.delete(k)
    else this.slicesByService.set(k, next)
  }
}

function compareSlices(a: EndpointSlice, b: EndpointSlice): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0
  if (ta !== tb) return ta - tb
  const na = nameOf(a)
  const nb = nameOf(b)
  return na < nb ? -1 : na > nb ? 1 : 0
}
