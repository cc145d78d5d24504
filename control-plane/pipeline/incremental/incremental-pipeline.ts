/**
 * The control plane's pipeline (objects -> compile -> edge table -> split -> packed blobs) kept
 * across changes: each batch of watch events is applied to the compile state, whose changes are
 * applied to the table state, whose changes are applied to the split and packed table. A batch
 * costs what it changes, and gives what the full pipeline (compile, buildEdgeTable,
 * splitTableByHost, packTable) gives for the same objects: the property test
 * (incremental-pipeline.test.ts) holds the two to that.
 *
 * A batch that fails (a bug: the stages never throw on bad input) leaves the states it was
 * changing unusable: the pipeline then starts again from every object the caller holds, logs it
 * and counts it. A wrong table is never published; a full build is, a little later.
 *
 * @module
 */
import type { DynamicConfig } from '../../../shared/dynamic/types.ts'
import type { EdgeTarget } from '../../../shared/table/capabilities.ts'
import type { Diagnostic } from '../../compiler/diagnostics/diagnostics.ts'
import { parseLabelSelector } from '../../compiler/snapshot/label-selector.ts'
import type { KubeObject } from '../../compiler/snapshot/kube-types.ts'
import type { EdgeTableInput, PackedTable, PackOptions } from '../../../shared/kv/pack-table.ts'
import { usableCertificates } from '../../runtime/pem-check.ts'
import { formatEdgeDiagnostic, transportCAs } from '../../table/index.ts'
import type { EdgeDiagnostic } from '../../table/diagnostics.ts'
import type { TunnelOptions } from '../../table/services.ts'
import type { SecretsSealer } from '../../publish/seal-secrets.ts'
import type { ProviderOptions } from '../../compiler/options/options.ts'
import { CompileState, type Change, type ConfigDelta } from './compile-state.ts'
import type { HealthState } from './health-overlay.ts'
import { PartsState } from './parts-state.ts'
import { TableState } from './table-state.ts'

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
  /** Every object the caller holds, for a build from scratch. */
  objects: () => Iterable<KubeObject>
  log?: (line: string) => void
}

export interface PipelineBuild {
  /** The manifest, and the blobs this build made (those of earlier builds are already known). */
  packed: PackedTable
  /** UTF-8 bytes of the blobs the manifest names. */
  bytes: number
  /** The compiler's diagnostics (schema validation first), in the full compile's order. */
  diagnostics: Diagnostic[]
  /** The table's problems, one line each (formatEdgeDiagnostic), then the CA certificates' ones. */
  problems: string[]
  /** The table's diagnostics, structured. */
  edgeDiagnostics: EdgeDiagnostic[]
  /** Whether schema validation kept the object (what a validated snapshot of the cache holds). */
  kept(object: KubeObject): boolean
  /** Routers of the configuration (the shrink guard's measure). */
  routers: number
  /** CA certificates the table's transports need trusted. */
  trustedCertificates: string[]
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
}

export class IncrementalPipeline {
  readonly #o: IncrementalPipelineOptions
  #states: States | null = null
  #health: HealthState = new Map()
  #cas: { list: string[]; problems: string[] } = { list: [], problems: [] }
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
    const t2 = performance.now()
    const packed = await states.parts.apply(states.table, tableDelta)
    const t3 = performance.now()
    this.lastTimings = { compileMs: t1 - t0, tableMs: t2 - t1, packMs: t3 - t2 }
    const edge = states.table.diagnostics()
    const cas = this.#trusted(states.table, fromScratch || tableDelta.transports.size > 0 || tableDelta.middlewares.size > 0)
    return {
      packed,
      bytes: states.parts.bytes,
      diagnostics: states.compile.diagnostics(),
      problems: [...edge.map(formatEdgeDiagnostic), ...cas.problems],
      edgeDiagnostics: edge,
      kept: (o) => states.compile.kept(o),
      routers: states.compile.routerCount,
      trustedCertificates: cas.list,
      config: () => states.compile.dynamicConfig(),
      table: () => states.parts.splitTable(states.table),
      changedServices: changedServices(states.table, delta),
      certificatesChanged: fromScratch || delta.certificates || delta.tlsStores,
      fromScratch,
    }
  }

  /** transportCAs of the table, checked again when its transports or middlewares changed. */
  #trusted(table: TableState, changed: boolean): { list: string[]; problems: string[] } {
    if (changed) {
      const problems: string[] = []
      const list = usableCertificates(transportCAs(table.table), 'trusted CA certificates', problems)
      this.#cas = { list, problems }
    }
    return this.#cas
  }
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
