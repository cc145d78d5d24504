/**
 * The compiler, kept across changes: the cluster's objects in a live SnapshotIndex, and one unit
 * of work per Traefik object (its stage function of control-plane/compiler, run alone) whose
 * lookups, writes and diagnostics are remembered. A change re-runs the units that own the changed
 * object or looked it up, and nothing else; the live configuration is what the full compile
 * gives, key for key (the order of keys aside, which no later stage reads).
 *
 * How the full compile's order-dependent rules are kept without re-running everything:
 * - a key written by several units holds the value of the last one in the full compile's order
 *   (stage, then namespace/name);
 * - a certificate key is taken by the first unit that asks for it: a unit's `has` sees the
 *   certificates of the units before it, and units that asked for a key whose takers changed run
 *   again (in order, so each sees its predecessors settled);
 * - TLSStores and TLSOptions compile as one unit each (their `default` rule looks at them all).
 *
 * @module
 */
import type { CertAndStores, DynamicConfig, Service } from '../../../shared/dynamic/types.ts'
import { newConfig, type CompileContext, type ConfigUnderConstruction } from '../../compiler/context.ts'
import type { IngressRoute, Middleware, ServersTransport, TraefikService } from '../../compiler/crd/types.ts'
import { DiagnosticSink, type Diagnostic } from '../../compiler/diagnostics/diagnostics.ts'
import { buildOneIngressRoute } from '../../compiler/ingressroute/routers.ts'
import { buildOneMiddleware } from '../../compiler/middlewares/middlewares.ts'
import { withDefaults, type ProviderOptions } from '../../compiler/options/options.ts'
import { buildOneServersTransport } from '../../compiler/servers-transport/servers-transports.ts'
import { buildOneTraefikService } from '../../compiler/services/traefik-service.ts'
import type { EndpointSlice, KubeObject } from '../../compiler/snapshot/kube-types.ts'
import { nameOf, namespaceOf, SERVICE_NAME_LABEL, SnapshotIndex } from '../../compiler/snapshot/snapshot.ts'
import { loadIngressRouteTLS } from '../../compiler/tls/certificates.ts'
import { buildTLSOptions } from '../../compiler/tls/options.ts'
import { buildTLSStores } from '../../compiler/tls/stores.ts'
import { defaultValidator, isRejected, refOf } from '../../compiler/validate/validate.ts'
import { sameValue } from '../../table/intern.ts'
import { KeyedLists } from './keyed-lists.ts'

export type Section = 'routers' | 'services' | 'middlewares' | 'serversTransports'
export const SECTIONS: readonly Section[] = ['routers', 'services', 'middlewares', 'serversTransports']

/** A watched object added or changed (`object`), or gone (`deleted`, with its kind/namespace/name). */
export type Change = { object: KubeObject } | { deleted: { kind: string; namespace: string; name: string } }

/** What a batch changed in the live configuration, by key. */
export interface ConfigDelta {
  routers: Set<string>
  services: Set<string>
  middlewares: Set<string>
  serversTransports: Set<string>
  tlsOptions: boolean
  tlsStores: boolean
  certificates: boolean
}

/** Processing order of the compiler (compiler/index.ts). */
const STAGE: Readonly<Record<string, string>> = {
  TLSStore: '0',
  IngressRoute: '1',
  TLSOption: '2',
  Middleware: '3',
  TraefikService: '4',
  ServersTransport: '5',
}
/** Order of validation diagnostics: the kinds as the cluster snapshot lists them (kube/watched-kinds.ts). */
const VALIDATION_RANK: Readonly<Record<string, string>> = {
  IngressRoute: '0',
  Middleware: '1',
  TraefikService: '2',
  TLSOption: '3',
  TLSStore: '4',
  ServersTransport: '5',
}
const KIND_OF_STAGE: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(STAGE).map(([k, v]) => [v, k]))
const WHOLE_STAGE = new Set(['TLSStore', 'TLSOption'])
const TLS_STORES_UNIT = `${STAGE.TLSStore}\u0000`
const TLS_OPTIONS_UNIT = `${STAGE.TLSOption}\u0000`

const objectKey = (namespace: string, name: string) => `${namespace}/${name}`
const depOf = (kind: string, namespace: string, name: string) => `${kind}\u0000${namespace}\u0000${name}`
const slicesDep = (namespace: string, service: string) => `slices\u0000${namespace}\u0000${service}`
const certDep = (key: string) => `cert\u0000${key}`
const NODES_DEP = 'nodes'

interface Unit {
  deps: readonly string[]
  /** section, key, value, section, key, value... (one array, not one per write: there are 100k units). */
  writes: readonly unknown[]
  tlsOptions?: unknown
  tlsStores?: unknown
  certs: ReadonlyArray<[string, CertAndStores]>
  diagnostics: Diagnostic[]
}

interface Entry {
  unit: string
  value: unknown
}

/** Shared by every unit, write list and verdict that has nothing (most of them). */
const NONE: readonly never[] = Object.freeze([])
const KEPT = Object.freeze({ kept: true, diagnostics: NONE as unknown as Diagnostic[] })

export class CompileState {
  readonly options: ProviderOptions
  readonly index: SnapshotIndex
  /** The configuration as the full compile gives it; mutated in place by apply(). */
  readonly config: ConfigUnderConstruction
  readonly #units = new Map<string, Unit>()
  readonly #dependents = new Map<string, Set<string>>()
  readonly #writers: Record<Section, Map<string, Entry | Entry[]>> = {
    routers: new Map(),
    services: new Map(),
    middlewares: new Map(),
    serversTransports: new Map(),
  }
  readonly #certWriters = new Map<string, Entry | Entry[]>()
  /** One string per dependency key, however many units name it. */
  readonly #depKeys = new Map<string, string>()
  /** Server lists by content: the load balancers of one Service's port share one list. */
  readonly #serverLists = new Map<string, unknown>()
  /** Diagnostics by their place in the full compile's list (validation first, then units in order). */
  readonly #diagnostics = new KeyedLists<Diagnostic>()
  /** Verdicts of schema validation, by object (informers hand out a new object for every change). */
  readonly #verdicts = new WeakMap<KubeObject, { kept: boolean; diagnostics: Diagnostic[] }>()
  readonly #validate: boolean
  /** Keys of `config.http.routers`. */
  routerCount = 0

  /** Throws when the label selector is invalid (the full compile then serves nothing). */
  constructor(options: Partial<ProviderOptions>, settings: { validate?: boolean } = {}) {
    this.options = withDefaults(options)
    this.index = new SnapshotIndex({ objects: [] }, this.options)
    this.config = newConfig()
    this.#validate = settings.validate !== false
  }

  /** Applies a batch of changes; returns what changed in the configuration. */
  apply(changes: Iterable<Change>): ConfigDelta {
    const delta: ConfigDelta = {
      routers: new Set(),
      services: new Set(),
      middlewares: new Set(),
      serversTransports: new Set(),
      tlsOptions: false,
      tlsStores: false,
      certificates: false,
    }
    const dirty = new Set<string>()
    const changedDeps = new Set<string>()
    for (const change of changes) this.#take(change, dirty, changedDeps)
    for (const dep of changedDeps) for (const unit of this.#dependents.get(dep) ?? []) dirty.add(unit)
    // In the full compile's order: a unit's certificate lookups see its predecessors settled.
    const queue = new MinQueue([...dirty])
    const done = new Set<string>()
    for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
      if (done.has(id)) continue
      done.add(id)
      for (const next of this.#run(id, delta)) if (!done.has(next)) queue.push(next)
    }
    return delta
  }

  /** Whether schema validation kept the object (what the controller's validated snapshot holds). */
  kept(obj: KubeObject): boolean {
    return !this.#validate || VALIDATION_RANK[obj.kind ?? ''] === undefined || this.#verdict(obj).kept
  }

  /** The compiler's diagnostics, in the order the full compile lists them. */
  diagnostics(): Diagnostic[] {
    return this.#diagnostics.all(true)
  }

  /** The configuration as a DynamicConfig (live: read it before the next apply()). */
  dynamicConfig(): DynamicConfig {
    const { http, tls } = this.config
    const out: DynamicConfig = { http, tls: {} }
    if (tls.options !== undefined) out.tls!.options = tls.options
    if (tls.stores !== undefined) out.tls!.stores = tls.stores
    const certificates = [...this.#certWriters.keys()].sort().map((k) => winner(entries(this.#certWriters.get(k)!), 'first') as CertAndStores)
    if (certificates.length > 0) out.tls!.certificates = certificates
    return out
  }

  #take(change: Change, dirty: Set<string>, changedDeps: Set<string>): void {
    const obj = 'object' in change ? change.object : undefined
    const kind = obj ? (obj.kind ?? '') : (change as { deleted: { kind: string } }).deleted.kind
    const namespace = obj ? (kind === 'Node' ? '' : namespaceOf(obj)) : (change as { deleted: { namespace: string } }).deleted.namespace
    const name = obj ? nameOf(obj) : (change as { deleted: { name: string } }).deleted.name
    const previous = this.index.remove(kind, namespace, name)
    let visible = obj
    if (obj && this.#validate && VALIDATION_RANK[kind] !== undefined) {
      const verdict = this.#verdict(obj)
      this.#diagnostics.set(`0${VALIDATION_RANK[kind]}\u0000${objectKey(namespace, name)}`, verdict.diagnostics)
      if (!verdict.kept) visible = undefined
    } else if (!obj && VALIDATION_RANK[kind] !== undefined) {
      this.#diagnostics.set(`0${VALIDATION_RANK[kind]}\u0000${objectKey(namespace, name)}`, [])
    }
    if (visible) this.index.upsert(visible)
    changedDeps.add(depOf(kind, namespace, name))
    if (kind === 'EndpointSlice') {
      for (const o of [previous, visible]) {
        const service = o?.metadata?.labels?.[SERVICE_NAME_LABEL]
        if (typeof service === 'string') changedDeps.add(slicesDep(namespace, service))
      }
    }
    if (kind === 'Node') changedDeps.add(NODES_DEP)
    const stage = STAGE[kind]
    if (stage === undefined) return
    dirty.add(WHOLE_STAGE.has(kind) ? `${stage}\u0000` : `${stage}\u0000${objectKey(namespace, name)}`)
  }

  #verdict(obj: KubeObject): { kept: boolean; diagnostics: Diagnostic[] } {
    let verdict = this.#verdicts.get(obj)
    if (verdict === undefined) {
      // As validateSnapshot does it, one object at a time (compiler/validate/validate-snapshot.ts).
      const validator = defaultValidator()
      if (!validator.knows(obj.apiVersion, obj.kind)) verdict = KEPT
      else {
        const found = validator.validateObject(obj, refOf(obj, undefined))
        const rejected = isRejected(found)
        if (rejected) for (const d of found) if (d.severity === 'error') d.message += '; object skipped (Kubernetes would refuse it)'
        verdict = !rejected && found.length === 0 ? KEPT : { kept: !rejected, diagnostics: found }
      }
      this.#verdicts.set(obj, verdict)
    }
    return verdict
  }

  /** Runs one unit again; returns the units to run after it (certificate lookups it changed). */
  #run(id: string, delta: ConfigDelta): string[] {
    const old = this.#units.get(id)
    const unit = this.#compute(id)
    const next: string[] = []
    // Dependencies.
    if (old) for (const dep of old.deps) this.#dependents.get(dep)?.delete(id)
    if (unit) {
      for (const d of unit.deps) {
        let set = this.#dependents.get(d)
        if (set === undefined) this.#dependents.set(d, (set = new Set()))
        set.add(id)
      }
      this.#units.set(id, unit)
    } else {
      this.#units.delete(id)
    }
    if (old) for (const dep of old.deps) if (this.#dependents.get(dep)?.size === 0) this.#dependents.delete(dep)
    // Writes: the winner of every key either version touched.
    const touched: Array<[Section, string]> = []
    const ow = old?.writes ?? NONE
    for (let i = 0; i < ow.length; i += 3) {
      removeEntry(this.#writers[ow[i] as Section], ow[i + 1] as string, id)
      touched.push([ow[i] as Section, ow[i + 1] as string])
    }
    const nw = unit?.writes ?? NONE
    for (let i = 0; i < nw.length; i += 3) {
      addEntry(this.#writers[nw[i] as Section], nw[i + 1] as string, { unit: id, value: nw[i + 2] })
      touched.push([nw[i] as Section, nw[i + 1] as string])
    }
    for (const [section, key] of touched) {
      const found = this.#writers[section].get(key)
      const map = this.config.http[section] as Record<string, unknown>
      const value = found === undefined ? undefined : winner(entries(found), 'last')
      if (map[key] === value) continue
      if (section === 'routers') this.routerCount += (value === undefined ? 0 : 1) - (map[key] === undefined ? 0 : 1)
      if (value === undefined) delete map[key]
      else map[key] = value
      delta[section].add(key)
    }
    // Certificates: a key whose takers changed is asked about again by every unit that asked.
    const certKeys = new Set<string>()
    for (const [key] of old?.certs ?? NONE) {
      removeEntry(this.#certWriters, key, id)
      certKeys.add(key)
    }
    for (const [key, cert] of unit?.certs ?? NONE) {
      addEntry(this.#certWriters, key, { unit: id, value: cert })
      certKeys.add(key)
    }
    for (const key of certKeys) {
      const before = old?.certs.find(([k]) => k === key)
      const after = unit?.certs.find(([k]) => k === key)
      if (before?.[1] === after?.[1]) continue
      delta.certificates = true
      for (const asker of this.#dependents.get(certDep(key)) ?? []) if (asker !== id) next.push(asker)
    }
    if (id === TLS_OPTIONS_UNIT && old?.tlsOptions !== unit?.tlsOptions) {
      this.config.tls.options = unit?.tlsOptions as ConfigUnderConstruction['tls']['options']
      delta.tlsOptions = true
    }
    if (id === TLS_STORES_UNIT && old?.tlsStores !== unit?.tlsStores) {
      this.config.tls.stores = unit?.tlsStores as ConfigUnderConstruction['tls']['stores']
      delta.tlsStores = true
    }
    this.#diagnostics.set(`1${id}`, unit?.diagnostics ?? (NONE as unknown as Diagnostic[]))
    return next
  }

  /** A load balancer whose server list is the shared one with the same content (a Service's port gives one list). */
  #shareServers(svc: Service): Service {
    const lb = svc.loadBalancer
    if (lb === undefined) return svc
    // Bounded: lists come and go with pods; forgetting them all now and then only costs sharing.
    if (this.#serverLists.size >= 10_000) this.#serverLists.clear()
    const share = <T>(value: T): T => {
      const k = JSON.stringify(value)
      const found = this.#serverLists.get(k)
      if (found !== undefined) return found as T
      this.#serverLists.set(k, value)
      return value
    }
    if (lb.servers !== undefined) lb.servers = share(lb.servers)
    if (lb.responseForwarding !== undefined) lb.responseForwarding = share(lb.responseForwarding)
    return svc
  }

  /** The unit's work as the full compile would do it now; undefined when it has nothing to do. */
  #compute(id: string): Unit | undefined {
    const kind = KIND_OF_STAGE[id[0]!]!
    const old = this.#units.get(id)
    const deps = new Set<string>()
    const dep = (k: string) => {
      let shared = this.#depKeys.get(k)
      if (shared === undefined) this.#depKeys.set(k, (shared = k))
      deps.add(shared)
    }
    const real = this.index
    const index = Object.create(real) as SnapshotIndex
    Object.defineProperties(index, {
      get: {
        value: <T extends KubeObject>(k: string, ns: string, n: string): T | undefined => {
          dep(depOf(k, ns, n))
          return real.get<T>(k, ns, n)
        },
      },
      endpointSlices: {
        value: (ns: string, service: string): readonly EndpointSlice[] => {
          dep(slicesDep(ns, service))
          return real.endpointSlices(ns, service)
        },
      },
      nodes: {
        get: () => {
          dep(NODES_DEP)
          return real.nodes
        },
      },
    })
    const certs: Array<[string, CertAndStores]> = []
    const taken = new Set<string>()
    const tlsCertificates = {
      has: (key: string) => {
        dep(certDep(key))
        if (taken.has(key)) return true
        const found = this.#certWriters.get(key)
        return found !== undefined && entries(found).some((e) => e.unit < id)
      },
      set: (key: string, cert: CertAndStores) => {
        taken.add(key)
        certs.push([key, cert])
        return tlsCertificates
      },
    } as unknown as Map<string, CertAndStores>
    const config = newConfig()
    const ctx: CompileContext = { index, options: this.options, diagnostics: new DiagnosticSink(), config, tlsCertificates }

    if (WHOLE_STAGE.has(kind)) {
      const objects = [...real.objectsOf(kind)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o)
      // Any object of the kind coming or going changes the stage (the `default` rule).
      for (const [k] of real.objectsOf(kind)) dep(`${kind}\u0000${k.replace('/', '\u0000')}`)
      if (objects.length === 0) return undefined
      Object.defineProperty(index, kind === 'TLSStore' ? 'tlsStores' : 'tlsOptions', { value: objects })
      guard(ctx, () => (kind === 'TLSStore' ? buildTLSStores(ctx) : buildTLSOptions(ctx)))
    } else {
      const slash = id.indexOf('/', 2)
      const obj = real.get(kind, id.slice(2, slash), id.slice(slash + 1))
      if (obj === undefined) return undefined
      const run = {
        IngressRoute: () => buildOneIngressRoute(ctx, obj as IngressRoute, loadIngressRouteTLS),
        Middleware: () => buildOneMiddleware(ctx, obj as Middleware),
        TraefikService: () => buildOneTraefikService(ctx, obj as TraefikService),
        ServersTransport: () => buildOneServersTransport(ctx, obj as ServersTransport),
      }[kind as 'IngressRoute']
      guard(ctx, run)
    }

    // What this run wrote, each value kept as the previous run's object when equal (so later
    // stages can tell an unchanged value by identity).
    const oldValues = new Map<string, unknown>()
    const ow = old?.writes ?? NONE
    for (let i = 0; i < ow.length; i += 3) oldValues.set(`${ow[i]}\u0000${ow[i + 1]}`, ow[i + 2])
    const writes: unknown[] = []
    for (const section of SECTIONS) {
      for (const [key, value] of Object.entries(config.http[section])) {
        const before = oldValues.get(`${section}\u0000${key}`)
        if (before !== undefined && sameValue(before, value)) writes.push(section, key, before)
        else writes.push(section, key, section === 'services' ? this.#shareServers(value as Service) : value)
      }
    }
    const oldCerts = new Map(old?.certs ?? NONE)
    const unit: Unit = {
      deps: deps.size === 0 ? NONE : [...deps],
      writes: writes.length === 0 ? NONE : writes,
      certs: certs.length === 0 ? NONE : certs.map(([k, c]) => [k, oldCerts.has(k) && sameValue(oldCerts.get(k), c) ? oldCerts.get(k)! : c]),
      diagnostics: ctx.diagnostics.items.length === 0 ? (NONE as unknown as Diagnostic[]) : ctx.diagnostics.items,
    }
    if (kind === 'TLSOption') unit.tlsOptions = keep(old?.tlsOptions, config.tls.options)
    if (kind === 'TLSStore') unit.tlsStores = keep(old?.tlsStores, config.tls.stores)
    return unit
  }
}

/** The compiler's guard around a stage (compiler/index.ts): a bug in a builder is a diagnostic. */
function guard(ctx: CompileContext, run: () => void): void {
  try {
    run()
  } catch (err) {
    ctx.diagnostics.fromError({ kind: 'Provider', namespace: '', name: 'kubernetescrd' }, err)
  }
}

function keep(before: unknown, now: unknown): unknown {
  return before !== undefined && sameValue(before, now) ? before : now
}

// A key has one writer nearly always: the entry alone then, an array only when there are several.
function entries(found: Entry | Entry[]): Entry[] {
  return Array.isArray(found) ? found : [found]
}

function addEntry(map: Map<string, Entry | Entry[]>, key: string, entry: Entry): void {
  const found = map.get(key)
  if (found === undefined) map.set(key, entry)
  else if (Array.isArray(found)) found.push(entry)
  else map.set(key, [found, entry])
}

function removeEntry(map: Map<string, Entry | Entry[]>, key: string, unit: string): void {
  const found = map.get(key)
  if (found === undefined) return
  if (!Array.isArray(found)) {
    if (found.unit === unit) map.delete(key)
    return
  }
  const at = found.findIndex((e) => e.unit === unit)
  if (at >= 0) found.splice(at, 1)
  if (found.length === 1) map.set(key, found[0]!)
  else if (found.length === 0) map.delete(key)
}

/** The value the full compile keeps: the last writer's (a map key), or the first's (a certificate). */
function winner(entries: Entry[], which: 'first' | 'last'): unknown {
  let best = entries[0]!
  for (const e of entries) if (which === 'last' ? e.unit > best.unit : e.unit < best.unit) best = e
  return best.value
}

/** A binary min-heap of unit ids (strings compare in the full compile's order). */
class MinQueue {
  readonly #heap: string[] = []
  constructor(items: string[]) {
    for (const i of items) this.push(i)
  }
  push(item: string): void {
    const h = this.#heap
    h.push(item)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (h[p]! <= h[i]!) break
      ;[h[p], h[i]] = [h[i]!, h[p]!]
      i = p
    }
  }
  pop(): string | undefined {
    const h = this.#heap
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && h[l]! < h[m]!) m = l
        if (r < h.length && h[r]! < h[m]!) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i]!, h[m]!]
        i = m
      }
    }
    return top
  }
}
