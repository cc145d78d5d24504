// The control plane against a cluster: informers -> (every one synced) -> compile -> edge table ->
// publish, debounced, on every change. Only the leader publishes and writes Events (refreshed while
// their problems last: events.ts); standbys keep their caches warm and build nothing until they
// lead. A table that shrank a lot is published only once a fresh list from the API server agrees
// with the cache (shrink-guard.ts). A failed publish is retried with backoff; the publisher itself
// skips a table whose content is unchanged. A call the API server refuses (403) is logged once,
// counted, and keeps the controller not ready (forbidden.ts).
import type { KubeConfig } from '@kubernetes/client-node'
import { compile, IngressRouteCache, type Diagnostic, type ProviderOptions } from '../../compiler/index.ts'
import { formatDiagnostic } from '../../compiler/index.ts'
import type { LoadResult } from '../../manifests/load.ts'
import type { PublishResult } from '../../publish/publisher.ts'
import type { Built } from '../../pipeline/built.ts'
import type { EdgeTableStage } from '../../pipeline/pipeline.ts'
import { ClusterCache } from './cluster-cache.ts'
import { newCounters, type KubeCounters } from './counters.ts'
import { locateEdgeDiagnostics } from './edge-diagnostics.ts'
import { DEFAULT_EVENT_REFRESH_MS, EventRecorder } from './events.ts'
import { ForbiddenCalls, isForbidden } from './forbidden.ts'
import type { SupervisedInformerOptions } from './informer.ts'
import { LeaderElector } from './leader-election.ts'
import { countsAgree, needsConfirmation } from './shrink-guard.ts'
import { ValidationCache } from './validation-cache.ts'
import { TRAEFIK_WATCHED } from './watched-kinds.ts'

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
  toEdge: EdgeTableStage
  publish: (built: Built) => Promise<PublishResult>
  /** This replica's name (Lease holder, Events' reportingInstance). */
  identity: string
  /** Leader election; without it this process always leads (a single replica). */
  lease?: LeaseOptions
  /** Quiet time after a change before compiling. Default 50 ms. */
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
  /** Seconds from snapshot to edge table of each build (the ops compile duration histogram). */
  observeBuild?: (seconds: number) => void
  /** Each build with the objects it came from (the dashboard). */
  observeSnapshot?: (loaded: LoadResult, built: Built) => void
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
  readonly #validation = new ValidationCache()
  /** Informers keep unchanged objects as the same objects: unchanged IngressRoutes are not recompiled. */
  readonly #compileCache = new IngressRouteCache()
  #leader: boolean
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | null = null
  #again = false
  #stopped = false
  #lastRouters: number | null = null
  #publishedVersion: string | null = null
  #lastProblems = ''
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
      onChange: () => this.#schedule(),
      log: options.log,
      minBackoffMs: options.minBackoffMs,
      maxReconnectDelayMs: options.maxReconnectDelayMs,
      forbidden: this.#forbidden,
      secretNamespaces: options.secretNamespaces ?? null,
      ...(options.watch ? { watch: options.watch } : {}),
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

  #schedule(delay = this.#o.debounceMs ?? 50): void {
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
    const validated = this.#validation.validate(this.#cache.snapshot())
    const compiled = compile(validated.snapshot, { ...this.#o.provider, validate: false, cache: this.#compileCache })
    const { config } = compiled
    const diagnostics = [...validated.diagnostics, ...compiled.diagnostics]
    const t1 = performance.now()
    const edge = this.#o.toEdge(config, { loaded: { snapshot: validated.snapshot, diagnostics, files: [] }, compileDiagnostics: diagnostics })
    // The table build's problems (rules that do not parse, routers not served...) on their objects.
    const eventDiagnostics = [...diagnostics, ...locateEdgeDiagnostics(validated.snapshot, edge.diagnostics ?? [])]
    const t2 = performance.now()
    this.#o.observeBuild?.((t2 - t0) / 1000)
    this.#o.observeSnapshot?.({ snapshot: validated.snapshot, diagnostics, files: [] }, edge)
    const routers = Object.keys(config.http?.routers ?? {}).length
    this.#report(diagnostics, edge.problems)
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
      const result = await this.#o.publish({ ...edge, problems: edge.problems })
      this.#lastRouters = routers
      this.#publishedVersion = result.manifest.routes.version
      this.#retryMs = 250
      if (result.changed) {
        this.counters.pushes++
        const ms = (a: number, b: number) => (b - a).toFixed(0)
        this.#o.log(
          `table ${result.manifest.routes.version.slice(0, 12)} published (${routers} routers; compile ${ms(t0, t1)} ms, table ${ms(t1, t2)} ms, publish ${ms(t2, performance.now())} ms)`,
        )
      }
    } catch (err) {
      this.counters.pushFailures++
      this.#o.log(`publish failed: ${(err as Error).message}; retrying in ${this.#retryMs} ms`)
      this.#retryLater()
      return
    }
    this.#lastDiagnostics = eventDiagnostics
    await this.#writeEvents(eventDiagnostics)
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

  #report(diagnostics: readonly Diagnostic[], edgeProblems: readonly string[]): void {
    const lines = [...diagnostics.map(formatDiagnostic), ...edgeProblems]
    const text = lines.join('\n')
    if (text !== this.#lastProblems) for (const l of lines) this.#o.log(l)
    this.#lastProblems = text
  }
}
