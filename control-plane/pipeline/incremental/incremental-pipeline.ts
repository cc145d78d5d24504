/**
 * The control plane's pipeline (objects -> compile -> edge table -> split -> packed blobs) kept
 * across changes: each batch of watch events is applied to the compile state, whose changes are
 * applied to the table state, whose changes are applied to the split and packed table. A batch
 * costs what it changes, and gives what the full pipeline (validate, compile, edgeTableStage,
 * packTable) gives for the same objects: the property test (incremental-pipeline.test.ts) holds
 * the two to that, located problem lines, internal services' document and channels included.
 *
 * Two things cost more than the change, and only when they are there: the document of
 * `api@internal` / `dashboard@internal` (Traefik's API data and the dashboard's state of the whole
 * build, written whenever a table routes to them: docs/api.md), and the index of which object
 * each name comes from, built from every object the first time the table has problems (then
 * kept object by object, and dropped while it has none).
 *
 * A batch that fails (a bug: the stages never throw on bad input) leaves the states it was
 * changing unusable: the pipeline then starts again from every object the caller holds, logs it
 * and counts it. A wrong table is never published; a full build is, a little later.
 *
 * @module
 */
import type { DynamicConfig } from '../../../shared/dynamic/types.ts'
import type { EdgeTarget } from '../../../shared/table/capabilities.ts'
import { TABLE_SCHEMA_VERSION, type EdgeTable } from '../../../shared/table/schema.ts'
import type { Diagnostic } from '../../compiler/diagnostics/diagnostics.ts'
import { parseLabelSelector } from '../../compiler/snapshot/label-selector.ts'
import type { KubeObject } from '../../compiler/snapshot/kube-types.ts'
import type { DroppedHost, EdgeTableInput, PackedTable, PackOptions } from '../../../shared/kv/pack-table.ts'
import { locateWith, problemKey, problemLine } from '../../diagnostics/edge-located.ts'
import { usableCertificates } from '../../runtime/pem-check.ts'
import { outboundCAs, type UpstreamChannel } from '../../table/index.ts'
import type { EdgeDiagnostic } from '../../table/diagnostics.ts'
import type { TunnelOptions } from '../../table/services.ts'
import type { SecretsSealer } from '../../publish/seal-secrets.ts'
import type { ProviderOptions } from '../../compiler/options/options.ts'
import { directUpstreams, usableChannel } from '../edge-table.ts'
import type { DocumentsHook } from '../pipeline.ts'
import { CompileState, type Change, type ConfigDelta } from './compile-state.ts'
import type { HealthState } from './health-overlay.ts'
import { LiveSources } from './live-sources.ts'
import { PartsState } from './parts-state.ts'
import { TableState, type TableDelta } from './table-state.ts'

export type { Change } from './compile-state.ts'

export interface IncrementalPipelineOptions {
  provider: Partial<ProviderOptions>
  /** Entry points the edge serves (routers naming none are reported). */
  entryPoints?: string[]
  target: EdgeTarget
  /** Cloudflare target: the servers reached through the cluster's tunnel (buildEdgeTable's option). */
  tunnel?: TunnelOptions
  pack?: PackOptions
  /** Seals middleware secrets in the blobs (none: withheld, as the publisher does without one). */
  sealer?: SecretsSealer | null
  /** Writes the internal services' document (edgeTableStage's hook: dashboard/edge-document.ts). */
  documents?: DocumentsHook
  /** Every object the caller holds, in its snapshot's order (kinds as `kindOrder`, then namespace/name). */
  objects: () => Iterable<KubeObject>
  /** The kinds in the order `objects` lists them (the controller's: kube/watched-kinds.ts's SNAPSHOT_KINDS). */
  kindOrder: readonly string[]
  log?: (line: string) => void
}

export interface PipelineBuild {
  /** The manifest, and the blobs this build made (those of earlier builds are already known). */
  packed: PackedTable
  /** UTF-8 bytes of the blobs the manifest names. */
  bytes: number
  /** The compiler's diagnostics (schema validation first), in the full compile's order. */
  diagnostics: Diagnostic[]
  /** The table's problems, one line each (located: problemLine), then the CA certificates' and channels' ones. */
  problems: string[]
  /** The table's diagnostics, structured. */
  edgeDiagnostics: EdgeDiagnostic[]
  /** The table's diagnostics said of the objects they come from (each once: uniqueDiagnostics). */
  located: Diagnostic[]
  /** Whether schema validation kept the object (what a validated snapshot of the cache holds). */
  kept(object: KubeObject): boolean
  /** Routers of the configuration (the shrink guard's measure). */
  routers: number
  /** CA certificates the worker's default outbound must trust (forwardAuth tls.ca). */
  trustedCertificates: string[]
  /** The serversTransports' own networks (trust, client certificate) a self-hosted workerd config provides. */
  channels: UpstreamChannel[]
  /**
   * `host:port` of the plain-HTTP servers a self-hosted workerd config reaches directly
   * (edgeTableStage's; made from the whole table on each call: a controller writes no workerd config).
   */
  directUpstreams(): string[]
  /** Hosts left out of the table: their routes do not fit a KV value. */
  dropped: DroppedHost[]
  /** The configuration (live: read it before the next build; its certificate list is sorted on each call). */
  config(): DynamicConfig
  /** The split table and endpoints the blobs hold (built whole on each call: for the dashboard). */
  table(): EdgeTableInput
  /** Whether tls.certificates or tls.stores may have changed (certificate syncing need not look otherwise). */
  certificatesChanged: boolean
  /** Services of the configuration this build added, changed or removed. */
  changedServices: ReadonlySet<string>
  /** Whether this build started from scratch (the first, or after a failed batch). */
  fromScratch: boolean
}

interface States {
  compile: CompileState
  table: TableState
  parts: PartsState
  /** Which object each name comes from, while the table has problems. */
  sources: LiveSources | null
  /** Each table entry's diagnostics, located; each problem once (the number of entries saying it). */
  located: Map<string, Diagnostic[]>
  unique: Map<string, { d: Diagnostic; n: number; line: string }>
  uniqueList: Diagnostic[]
  lines: string[]
  documents: Record<string, string>
}

export class IncrementalPipeline {
  readonly #o: IncrementalPipelineOptions
  #states: States | null = null
  #health: HealthState = new Map()
  #outbound: { trusted: string[]; channels: UpstreamChannel[]; problems: string[] } = { trusted: [], channels: [], problems: [] }
  /** Batches that failed and were redone from scratch. */
  fallbacks = 0
  /** Wall time of the last build's stages. */
  lastTimings = { compileMs: 0, tableMs: 0, packMs: 0 }

  constructor(options: IncrementalPipelineOptions) {
    // An invalid selector is refused up front: the full compile then serves nothing at all.
    parseLabelSelector(options.provider.labelSelector ?? '')
    this.#o = options
  }

  /**
   * Sets the active health checks' state (control-plane/health): the next build writes it into
   * the endpoints of the services whose status changed.
   */
  setHealth(state: HealthState): void {
    this.#health = state
  }

  /** Drops what was built: the next build starts from every object. */
  reset(): void {
    this.#states = null
  }

  /** Applies a batch of changes (or, the first time and after reset(), builds from every object). */
  async build(changes: readonly Change[]): Promise<PipelineBuild> {
    if (this.#states === null) return this.#fromScratch()
    try {
      return await this.#apply(this.#states, changes, false)
    } catch (err) {
      this.fallbacks++
      this.#o.log?.(`incremental build failed (${(err as Error).stack ?? err}); building from every object instead`)
      return this.#fromScratch()
    }
  }

  async #fromScratch(): Promise<PipelineBuild> {
    this.#states = null
    const states: States = {
      compile: new CompileState(this.#o.provider),
      table: new TableState({
        target: this.#o.target,
        ...(this.#o.entryPoints ? { entryPoints: this.#o.entryPoints } : {}),
        ...(this.#o.tunnel ? { tunnel: this.#o.tunnel } : {}),
      }),
      parts: new PartsState({ ...(this.#o.pack ? { pack: this.#o.pack } : {}), sealer: this.#o.sealer ?? null }),
      sources: null,
      located: new Map(),
      unique: new Map(),
      uniqueList: [],
      lines: [],
      documents: {},
    }
    const changes: Change[] = []
    for (const object of this.#o.objects()) changes.push({ object })
    const built = await this.#apply(states, changes, true)
    this.#states = states
    return built
  }

  async #apply(states: States, changes: readonly Change[], fromScratch: boolean): Promise<PipelineBuild> {
    const t0 = performance.now()
    const delta = states.compile.apply(changes)
    const t1 = performance.now()
    const tableDelta = states.table.apply(states.compile.config, delta)
    if (states.parts.health !== this.#health) {
      for (const service of new Set([...states.parts.health.keys(), ...this.#health.keys()])) {
        if (!sameStatus(states.parts.health.get(service), this.#health.get(service))) tableDelta.endpoints.add(service)
      }
      states.parts.health = this.#health
    }
    if (!fromScratch && states.sources) {
      for (const c of changes) {
        if ('object' in c) states.sources.set(c.object, undefined, states.compile.kept(c.object))
        else states.sources.set(undefined, c.deleted)
      }
    }
    this.#document(states, tableDelta)
    const t2 = performance.now()
    const packed = await states.parts.apply(states.table, tableDelta, states.documents)
    const t3 = performance.now()
    this.lastTimings = { compileMs: t1 - t0, tableMs: t2 - t1, packMs: t3 - t2 }
    const edge = states.table.diagnostics()
    this.#locate(states)
    const outbound = this.#outboundOf(states.table, fromScratch || tableDelta.transports.size > 0 || tableDelta.middlewares.size > 0)
    return {
      packed,
      bytes: states.parts.bytes,
      diagnostics: states.compile.diagnostics(),
      problems: outbound.problems.length === 0 ? states.lines : [...states.lines, ...outbound.problems],
      edgeDiagnostics: edge,
      located: states.uniqueList,
      kept: (o) => states.compile.kept(o),
      routers: states.compile.routerCount,
      trustedCertificates: outbound.trusted,
      channels: outbound.channels,
      directUpstreams: () =>
        this.#o.target === 'workerd' ? directUpstreams(states.table.table, { schema: TABLE_SCHEMA_VERSION, services: states.table.endpoints }) : [],
      dropped: packed.dropped,
      config: () => states.compile.dynamicConfig(),
      table: () => ({ ...states.parts.splitTable(states.table), ...(Object.keys(states.documents).length ? { documents: states.documents } : {}) }),
      changedServices: changedServices(states.table, delta),
      certificatesChanged: fromScratch || delta.certificates || delta.tlsStores,
      fromScratch,
    }
  }

  /**
   * The internal services' document, as edgeTableStage's hook writes it: its digest into the
   * internal services that serve it, its text beside the blobs. Made again on every build while
   * the table routes to `api@internal` or `dashboard@internal` (it holds the whole build).
   */
  #document(states: States, delta: TableDelta): void {
    const hook = this.#o.documents
    const table = states.table
    const internal = hook ? [...table.internalServices()].filter((k) => isDocumented(table.table.services[k]!)) : []
    if (internal.length === 0) {
      states.documents = {}
      table.setDocumentDiagnostics([])
      return
    }
    // The hook writes the digest into the internal services of the table it is given, and its
    // problems into the diagnostics: it gets copies of those.
    const services = { ...table.table.services }
    for (const k of internal) {
      const { document: _, ...rest } = services[k] as { document?: string }
      services[k] = rest as EdgeTable['services'][string]
    }
    const full: EdgeTable = { ...table.table, services, ...(table.tls ? { tls: table.tls } : {}) }
    table.setDocumentDiagnostics([])
    const diagnostics = [...table.diagnostics()]
    const before = diagnostics.length
    const objects: KubeObject[] = []
    for (const o of this.#o.objects()) if (states.compile.kept(o)) objects.push(o)
    const compileDiagnostics = states.compile.diagnostics()
    const documents =
      hook?.({
        config: states.compile.dynamicConfig(),
        built: { table: full, endpoints: { schema: TABLE_SCHEMA_VERSION, services: table.endpoints }, diagnostics, channels: table.channels() },
        entryPoints: this.#o.entryPoints ?? ['web'],
        target: this.#o.target,
        context: { loaded: { snapshot: { objects }, diagnostics: compileDiagnostics, files: [] }, compileDiagnostics },
      }) ?? {}
    table.setDocumentDiagnostics(diagnostics.slice(before))
    for (const k of internal) {
      const digest = (services[k] as { document?: string }).document
      const now = table.table.services[k]!
      if ((now as { document?: string }).document === digest) continue
      const { document: _, ...rest } = now as { document?: string }
      table.table.services[k] = { ...rest, ...(digest === undefined ? {} : { document: digest }) } as EdgeTable['services'][string]
      delta.services.add(k)
    }
    states.documents = documents
  }

  /**
   * The table's diagnostics said of their objects: the entries whose diagnostics changed, and
   * those whose object changed, located again (with the index of sources, made the first time
   * the table has problems and dropped while it has none).
   */
  #locate(states: States): void {
    let keys = states.table.takeChangedEntries()
    if (states.table.diagnostics().length === 0) {
      if (states.sources !== null || states.unique.size > 0) {
        states.sources = null
        states.located.clear()
        states.unique.clear()
        states.uniqueList = []
        states.lines = []
      }
      return
    }
    if (states.sources === null) {
      states.sources = new LiveSources(this.#o.kindOrder)
      const kept: KubeObject[] = []
      for (const o of this.#o.objects()) if (states.compile.kept(o)) kept.push(o)
      states.sources.reset(kept)
      states.sources.takeChanged()
      keys = new Set([...states.table.entryKeys(), ...states.located.keys()])
    } else {
      for (const name of states.sources.takeChanged()) {
        const at = name.indexOf('\u0000')
        const prefix = ENTRY_PREFIX[name.slice(0, at)]
        if (prefix !== undefined) keys.add(`${prefix}${name.slice(at + 1)}`)
      }
    }
    if (keys.size === 0) return
    const sources = states.sources
    const locator = { sources: sources.index, find: (kind: string, namespace: string, name: string) => sources.find(kind, namespace, name) }
    for (const key of keys) {
      for (const d of states.located.get(key) ?? []) {
        const k = uniqueKey(d, problemLine(d))
        const found = states.unique.get(k)!
        if (--found.n === 0) states.unique.delete(k)
      }
      const items = states.table.entryDiagnostics(key)
      if (items.length === 0) {
        states.located.delete(key)
        continue
      }
      const located = locateWith(items, locator)
      states.located.set(key, located)
      for (const d of located) {
        const line = problemLine(d)
        const k = uniqueKey(d, line)
        const found = states.unique.get(k)
        if (found) found.n++
        else states.unique.set(k, { d, n: 1, line })
      }
    }
    const list: Diagnostic[] = []
    const lines: string[] = []
    for (const u of states.unique.values()) {
      list.push(u.d)
      lines.push(u.line)
    }
    states.uniqueList = list
    states.lines = lines
  }

  /** outboundCAs and the channels of the table, checked again when its transports or middlewares changed. */
  #outboundOf(table: TableState, changed: boolean): { trusted: string[]; channels: UpstreamChannel[]; problems: string[] } {
    if (changed) {
      const problems: string[] = []
      const trusted = usableCertificates(outboundCAs(table.table), 'trusted CA certificates', problems)
      const channels = table.channels().map((c) => usableChannel(c, problems))
      this.#outbound = { trusted, channels, problems }
    }
    return this.#outbound
  }
}

/**
 * uniqueDiagnostics' key (problemKey) told from the problem's line: the line itself when it names
 * no file (the controller's, always: one string per problem rather than two).
 */
function uniqueKey(d: Diagnostic, line: string): string {
  return d.source === undefined ? line : problemKey(d)
}

/** The entry of the table's diagnostics (TableState's keys) a name of the sources index is said by. */
const ENTRY_PREFIX: Readonly<Record<string, string>> = { routers: 'r', services: 's', middlewares: 'm', transports: 't' }

/** An internal service that serves the document (api, dashboard; noop@internal serves nothing). */
function isDocumented(svc: EdgeTable['services'][string]): boolean {
  return svc.kind === 'internal' && svc.service !== 'noop'
}

/** Services changed, with those whose transport changed (their health check's TLS did). */
function changedServices(table: TableState, delta: ConfigDelta): ReadonlySet<string> {
  if (delta.serversTransports.size === 0) return delta.services
  const out = new Set(delta.services)
  for (const tk of delta.serversTransports) for (const s of table.servicesUsing(tk)) out.add(s)
  return out
}

function sameStatus(a: ReadonlyMap<string, boolean> | undefined, b: ReadonlyMap<string, boolean> | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined || a.size !== b.size) return false
  for (const [url, up] of a) if (b.get(url) !== up) return false
  return true
}
