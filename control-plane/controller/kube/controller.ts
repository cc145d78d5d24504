// The control plane against a cluster: informers -> (every one synced) -> the incremental
// pipeline (control-plane/pipeline/incremental: compile, edge table, split, packed blobs, each
// redoing what a change touched) -> publish, debounced. The first build after start, after a
// relist and on becoming leader starts from every object; later ones apply the watch events that
// came in meanwhile. Only the leader builds, publishes and writes Events (refreshed while their
// problems last: events.ts); standbys keep their caches warm and build nothing until they lead. A table that shrank a lot is published only once a fresh list from the API server agrees
// with the cache (shrink-guard.ts). A failed publish is retried with backoff; the publisher itself
// skips a table whose content is unchanged. A call the API server refuses (403) is logged once,
// counted, and keeps the controller not ready (forbidden.ts).
import { getHeapStatistics } from 'node:v8'
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import type { EdgeTarget } from '../../../shared/table/capabilities.ts'
import type { Diagnostic, ProviderOptions } from '../../compiler/index.ts'
import { formatDiagnostic } from '../../compiler/index.ts'
import type { KubeObject } from '../../compiler/snapshot/kube-types.ts'
import type { HealthState } from '../../health/checker.ts'
import type { LoadResult } from '../../manifests/load.ts'
import type { Built } from '../../pipeline/built.ts'
import { IncrementalPipeline, type Change, type PipelineBuild } from '../../pipeline/incremental/incremental-pipeline.ts'
import type { PackOptions } from '../../../shared/kv/pack-table.ts'
import { MissingBlobError, type PrepackedTable, type PublishResult } from '../../publish/publisher.ts'
import type { SecretsSealer } from '../../publish/seal-secrets.ts'
import type { TunnelOptions } from '../../table/services.ts'
import { ClusterCache } from './cluster-cache.ts'
import { newCounters, type KubeCounters } from './counters.ts'
import type { DocumentsHook } from '../../pipeline/pipeline.ts'
import { objectDiagnostics } from './edge-diagnostics.ts'
import { DEFAULT_EVENT_REFRESH_MS, EventRecorder } from './events.ts'
import { ForbiddenCalls, isForbidden } from './forbidden.ts'
import type { InformerChange, SupervisedInformerOptions } from './informer.ts'
import { LeaderElector } from './leader-election.ts'
import { countsAgree, needsConfirmation } from './shrink-guard.ts'
import { SNAPSHOT_KINDS, TRAEFIK_WATCHED } from './watched-kinds.ts'

/**
 * What the controller hands its publish step: the table packed, its problems, what its transports
 * need of a runtime (the CAs, channels). No direct upstreams: those are for a workerd config, and a
 * controller writes none (it publishes to KV; the dashboard's build has them).
 */
export interface ControllerBuilt extends Omit<Built, 'table' | 'directUpstreams'> {
  table: PrepackedTable
}

export interface LeaseOptions {
  namespace: string
  name: string
  leaseDurationMs?: number
  renewDeadlineMs?: number
  retryPeriodMs?: number
}

export interface ClusterControllerOptions {
  kc: KubeConfig
  provider: Partial<ProviderOptions>
  /** The table's target and the entry points it serves (default: workerd, `web`). */
  edge?: { target?: EdgeTarget; entryPoints?: string[]; tunnel?: TunnelOptions }
  /** Seals middleware secrets in the blobs (none: withheld; give the publisher's sealer). */
  sealer?: SecretsSealer | null
  pack?: PackOptions
  /** Writes the document `api@internal` and `dashboard@internal` serve (dashboard/edge-document.ts's internalDocuments()). */
  documents?: DocumentsHook
  publish: (built: ControllerBuilt) => Promise<PublishResult>
  /** This replica's name (Lease holder, Events' reportingInstance). */
  identity: string
  /** Leader election; without it this process always leads (a single replica). */
  lease?: LeaseOptions
  /** Quiet time after a change before building. Default 10 ms. */
  debounceMs?: number
  maxShrink?: number
  /** Write compiler diagnostics as Events (default true). */
  events?: boolean
  /** Rewrite the Event of a persisting problem this often, so the API server's --event-ttl does not expire it. Default 10 min. */
  eventRefreshMs?: number
  /** Read Secrets only in these namespaces (a ServiceAccount allowed to read them only there). */
  secretNamespaces?: readonly string[] | null
  /** Watch timeouts (server-watch.ts); tests shorten them. */
  watch?: SupervisedInformerOptions['watch']
  log: (line: string) => void
  counters?: KubeCounters
  /** Informer restart backoff start, and cap on re-opening a cleanly ended watch (tests shorten them). */
  minBackoffMs?: number
  maxReconnectDelayMs?: number
  /** Seconds from watch events to packed table of each build (the ops compile duration histogram). */
  observeBuild?: (seconds: number) => void
  /** Each build (active health checks follow its changed services; certificates its configuration). */
  onBuild?: (build: PipelineBuild) => void
  /**
   * Each build with the objects it came from, whole (the dashboard: O(objects) per build, so
   * only with it), then what publishing it did.
   */
  observeSnapshot?: (loaded: LoadResult, built: Built) => void
  observePublished?: (built: Built, result: PublishResult) => void
}

export interface ControllerState {
  synced: boolean
  leader: boolean
  /** Version of the last table this process published. */
  publishedVersion: string | null
  /** Ready: synced, no call refused with 403, and when leading, the first table pushed. */
  ready: boolean
  pendingWatches: string[]
  /** Calls the API server refuses (403) now: permissions the ServiceAccount lacks. */
  forbidden: string[]
}

export class ClusterController {
  readonly counters: KubeCounters
  readonly #o: ClusterControllerOptions
  readonly #cache: ClusterCache
  readonly #elector: LeaderElector | null
  readonly #events: EventRecorder | null
  readonly #forbidden: ForbiddenCalls
  /** The last build's diagnostics, for refreshing their Events between builds. */
  #lastDiagnostics: Diagnostic[] | null = null
  #eventsWork: Promise<void> = Promise.resolve()
  #refreshTimer: NodeJS.Timeout | undefined
  readonly #pipeline: IncrementalPipeline
  /** Watch events since the last build, by object (the last one of each counts). */
  #pending = new Map<string, Change>()
  /** The next build starts from every object (start, relist, leadership, a failed build). */
  #fromScratch = true
  #heapWarnedAt = -Infinity
  #leader: boolean
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | null = null
  #again = false
  #stopped = false
  #lastRouters: number | null = null
  #publishedVersion: string | null = null
  #lastProblems = new Set<string>()
  #retryMs = 250

  constructor(options: ClusterControllerOptions) {
    this.#o = options
    this.counters = options.counters ?? newCounters()
    this.#forbidden = new ForbiddenCalls(this.counters.forbidden, options.log)
    const provider = {
      namespaces: options.provider.namespaces ?? null,
      labelSelector: options.provider.labelSelector ?? '',
      disableClusterScopeResources: options.provider.disableClusterScopeResources ?? false,
    }
    this.#cache = new ClusterCache({
      kc: options.kc,
      provider,
      counters: this.counters,
      onChange: (change) => this.#changed(change),
      log: options.log,
      minBackoffMs: options.minBackoffMs,
      maxReconnectDelayMs: options.maxReconnectDelayMs,
      forbidden: this.#forbidden,
      secretNamespaces: options.secretNamespaces ?? null,
      ...(options.watch ? { watch: options.watch } : {}),
    })
    this.#pipeline = new IncrementalPipeline({
      provider: options.provider,
      target: options.edge?.target ?? 'workerd',
      entryPoints: options.edge?.entryPoints ?? ['web'],
      ...(options.edge?.tunnel ? { tunnel: options.edge.tunnel } : {}),
      ...(options.pack ? { pack: options.pack } : {}),
      sealer: options.sealer ?? null,
      ...(options.documents ? { documents: options.documents } : {}),
      objects: () => this.#cache.snapshot().objects,
      kindOrder: SNAPSHOT_KINDS,
      log: options.log,
    })
    this.#leader = options.lease === undefined
    this.#elector = options.lease
      ? new LeaderElector({
          kc: options.kc,
          ...options.lease,
          identity: options.identity,
          log: options.log,
          forbidden: this.#forbidden,
          onStartedLeading: () => {
            this.#leader = true
            this.counters.leaderTransitions++
            this.#rebuildAll()
            this.#schedule(0)
          },
          onStoppedLeading: () => {
            this.#leader = false
          },
        })
      : null
    this.#events =
      options.events === false
        ? null
        : new EventRecorder({
            kc: options.kc,
            identity: options.identity,
            log: options.log,
            find: (k, ns, n) => this.#cache.find(k, ns, n),
            refreshMs: options.eventRefreshMs ?? DEFAULT_EVENT_REFRESH_MS,
            forbidden: this.#forbidden,
          })
  }

  start(): void {
    this.#cache.start()
    void this.#cache.whenSynced().then(() => {
      this.#o.log(`cluster cache synced (${[...this.#cache.counts()].map(([k, n]) => `${n} ${k}`).join(', ')})`)
      this.#schedule(0)
    })
    this.#elector?.start()
    if (this.#events) {
      // Between builds, persisting problems' Events are rewritten before the API server expires them.
      const every = Math.max(10, Math.min(60_000, Math.floor((this.#o.eventRefreshMs ?? DEFAULT_EVENT_REFRESH_MS) / 2)))
      this.#refreshTimer = setInterval(() => {
        if (this.#leader && !this.#stopped && this.#lastDiagnostics) void this.#writeEvents(this.#lastDiagnostics)
      }, every)
      this.#refreshTimer.unref?.()
    }
  }

  state(): ControllerState {
    const synced = this.#cache.synced
    const forbidden = this.#forbidden.active
    return {
      synced,
      leader: this.#leader,
      publishedVersion: this.#publishedVersion,
      ready: synced && forbidden.length === 0 && (!this.#leader || this.#publishedVersion !== null),
      pendingWatches: synced ? [] : this.#cache.pending(),
      forbidden,
    }
  }

  /** Objects per kind in the cache. */
  objectCounts(): Map<string, number> {
    return this.#cache.counts()
  }

  /** The active health checks' state changed: the next build writes it into the endpoints. */
  setHealth(state: HealthState): void {
    this.#pipeline.setHealth(state)
    this.#schedule(0)
  }

  #changed(change: InformerChange | undefined): void {
    if (change === undefined) this.#rebuildAll()
    else if (!this.#fromScratch && this.#leader) {
      const o: KubernetesObject = change.object
      const kind = o.kind ?? ''
      const namespace = kind === 'Node' ? '' : o.metadata?.namespace || 'default'
      const name = o.metadata?.name ?? ''
      this.#pending.set(`${kind}/${namespace}/${name}`, change.verb === 'delete' ? { deleted: { kind, namespace, name } } : { object: o as KubeObject })
    }
    this.#schedule()
  }

  /** The next build starts from every object (what is pending is in the cache already). */
  #rebuildAll(): void {
    this.#fromScratch = true
    this.#pending.clear()
  }

  /** Resolves when no build is running or waiting. */
  async idle(): Promise<void> {
    while (this.#running || this.#timer) {
      if (this.#running) await this.#running
      else await new Promise((r) => setTimeout(r, 10))
    }
  }

  /** Stops watching and campaigning; `release: false` leaves the Lease held (as a crash would). */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    clearInterval(this.#refreshTimer)
    this.#timer = undefined
    await this.#elector?.stop(options.release ?? true)
    await this.#cache.stop()
    await this.#running
    await this.#eventsWork
  }

  #schedule(delay = this.#o.debounceMs ?? 10): void {
    if (this.#stopped || !this.#cache.synced) return
    if (this.#running) {
      this.#again = true
      return
    }
    if (this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#running = this.#sync()
        .catch((err: unknown) => {
          // A bug in a stage must not stop the loop: the last table keeps serving, the next change retries.
          this.#o.log(`build failed: ${(err as Error).stack ?? err}`)
        })
        .finally(() => {
          this.#running = null
          if (this.#again) {
            this.#again = false
            this.#schedule()
          }
        })
    }, delay)
  }

  async #sync(): Promise<void> {
    if (this.#stopped || !this.#leader) return
    const t0 = performance.now()
    const fromScratch = this.#fromScratch
    const changes = [...this.#pending.values()]
    this.#pending.clear()
    this.#fromScratch = false
    if (fromScratch) this.#pipeline.reset()
    let build: PipelineBuild
    try {
      build = await this.#pipeline.build(changes)
    } catch (err) {
      this.#rebuildAll()
      throw err
    }
    this.counters.buildFallbacks = this.#pipeline.fallbacks
    const t1 = performance.now()
    this.#checkHeap()
    this.#o.observeBuild?.((t1 - t0) / 1000)
    this.#o.onBuild?.(build)
    const whole = this.#o.observeSnapshot ? this.#wholeBuilt(build) : null
    const routers = build.routers
    const diagnostics = build.diagnostics
    this.#report(diagnostics, build.problems)
    if (needsConfirmation({ lastRouters: this.#lastRouters, routers, maxShrink: this.#o.maxShrink })) {
      const kinds = TRAEFIK_WATCHED.map((k) => k.kind)
      let agreed = false
      try {
        agreed = countsAgree(this.#cache.counts(), await this.#cache.freshCounts(kinds))
      } catch (err) {
        this.#o.log(`could not confirm a smaller table: ${(err as Error).message}`)
      }
      if (!agreed) {
        this.counters.shrinkHolds++
        this.#o.log(`table shrank from ${this.#lastRouters} to ${routers} routers and the API server does not confirm it; keeping the last one and relisting`)
        // The cache disagrees with the server: list again from scratch; its sync recompiles.
        void this.#cache.relist(kinds).catch((err: unknown) => this.#o.log(`relist: ${(err as Error).message}`))
        return
      }
    }
    try {
      const result = await this.#o.publish({
        table: { packed: build.packed, bytes: build.bytes },
        problems: build.problems,
        trustedCertificates: build.trustedCertificates,
        channels: build.channels,
        diagnostics: build.edgeDiagnostics,
      })
      if (whole) this.#o.observePublished?.(whole, result)
      this.#lastRouters = routers
      this.#publishedVersion = result.manifest.routes.version
      this.#retryMs = 250
      if (result.changed) {
        this.counters.pushes++
        const ms = (n: number) => n.toFixed(0)
        const t = this.#pipeline.lastTimings
        const what = fromScratch || build.fromScratch ? 'from every object' : `${changes.length} change${changes.length === 1 ? '' : 's'}`
        this.#o.log(
          `table ${result.manifest.routes.version.slice(0, 12)} published (${routers} routers; ${what}: compile ${ms(t.compileMs)} ms, table ${ms(t.tableMs)} ms, pack ${ms(t.packMs)} ms, publish ${ms(performance.now() - t1)} ms; ${result.blobsWritten} blobs written)`,
        )
      }
    } catch (err) {
      // A table naming a blob the publisher never had: the next build starts from every object.
      if (err instanceof MissingBlobError) this.#rebuildAll()
      this.counters.pushFailures++
      this.#o.log(`publish failed: ${(err as Error).message}; retrying in ${this.#retryMs} ms`)
      this.#retryLater()
      return
    }
    // The table build's problems (rules that do not parse, routers not served...) on their objects.
    const eventDiagnostics = build.located.length === 0 ? diagnostics : [...diagnostics, ...objectDiagnostics(build.located)]
    this.#lastDiagnostics = eventDiagnostics
    await this.#writeEvents(eventDiagnostics)
  }

  /**
   * Says (at most every 10 minutes) when the V8 heap is nearly full: the flags must grow with the
   * cluster (docs/controller-sizing.md), and running out of heap kills the process.
   */
  #checkHeap(): void {
    const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics()
    if (used < 0.85 * limit || performance.now() - this.#heapWarnedAt < 600_000) return
    this.#heapWarnedAt = performance.now()
    const mb = (n: number) => (n / 2 ** 20).toFixed(0)
    this.#o.log(`V8 heap ${mb(used)} MB used of ${mb(limit)} MB: give the controller a larger --max-old-space-size (docs/controller-sizing.md)`)
  }

  /** The build with its whole split table and the objects it came from (the dashboard's). */
  #wholeBuilt(build: PipelineBuild): Built {
    const built: Built = {
      table: build.table(),
      problems: build.problems,
      trustedCertificates: build.trustedCertificates,
      channels: build.channels,
      directUpstreams: build.directUpstreams(),
      diagnostics: build.edgeDiagnostics,
    }
    // The validated snapshot, as the compiler saw it.
    const snapshot = this.#cache.snapshot()
    this.#o.observeSnapshot?.(
      { snapshot: { ...snapshot, objects: snapshot.objects.filter((o) => build.kept(o)) }, diagnostics: build.diagnostics, files: [] },
      built,
    )
    return built
  }

  /** One Events sync at a time (builds and refreshes). */
  #writeEvents(diagnostics: Diagnostic[]): Promise<void> {
    const events = this.#events
    if (!events) return Promise.resolve()
    this.#eventsWork = this.#eventsWork.then(async () => {
      try {
        this.counters.eventsWritten += await events.sync(diagnostics)
      } catch (err) {
        // A 403 is logged once by ForbiddenCalls.
        if (!isForbidden(err)) this.#o.log(`events: ${(err as Error).message}`)
      }
    })
    return this.#eventsWork
  }

  #retryLater(): void {
    const delay = this.#retryMs
    this.#retryMs = Math.min(this.#retryMs * 2, 30_000)
    const t = setTimeout(() => this.#schedule(0), delay)
    t.unref?.()
  }

  /** Logs the problems that are new since the last build (at 100k objects, not all of them again). */
  #report(diagnostics: readonly Diagnostic[], edgeProblems: readonly string[]): void {
    const lines = new Set([...diagnostics.map(formatDiagnostic), ...edgeProblems])
    for (const l of lines) if (!this.#lastProblems.has(l)) this.#o.log(l)
    this.#lastProblems = lines
  }
}
