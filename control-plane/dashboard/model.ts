/**
 * What the dashboard shows: the build the edge was last given and what publishing it did. The
 * control plane's pipeline goes through `pipeline()` (the same load and build as
 * pipeline/pipeline.ts' manifestPipeline, keeping the loaded objects beside each Built), and its
 * publish step calls `published()`. The detailed state is worked out when someone asks for it.
 *
 * @module
 */
import type { ApiData } from '../../shared/api/traefik-api.ts'
import { apiData, type ApiFacts } from '../api/document.ts'
import { runtimeConfiguration } from '../api/runtime.ts'
import type { ProviderOptions } from '../compiler/index.ts'
import { diffInspections, type ConfigDiff } from '../diff/diff.ts'
import { explainRequest, type Explanation, type ExplainRequest } from '../explain/explain.ts'
import { inspectLoaded, routingView, storedParts, type Inspection, type InspectOptions } from '../explain/inspect.ts'
import { loadManifests, type LoadResult } from '../manifests/load.ts'
import type { PublishResult } from '../publish/publisher.ts'
import type { Built } from '../pipeline/built.ts'
import { buildFromSnapshot, type EdgeTableStage } from '../pipeline/pipeline.ts'
import type { EndpointsTable } from '../../shared/table/schema.ts'
import type { RoutingView } from '../../shared/table/view.ts'
import { dashboardState, type DashboardState, type PublishedInfo } from './state.ts'

interface Entry {
  loaded: LoadResult
  built: Built
  published: PublishedInfo | null
  inspection?: Inspection
  view?: RoutingView
}

export class DashboardModel {
  readonly #options: InspectOptions
  /** By the Built's routes object: publish steps (health) hand on copies of a Built, never of its routes. */
  readonly #loadedOf = new WeakMap<object, LoadResult>()
  #current: Entry | null = null
  #previous: Entry | null = null
  #facts: ApiFacts
  /** Traefik's API data per published endpoints object: health changes give a new one. */
  #api = new WeakMap<object, ApiData>()

  /** `options` as the edge table stage was given them (entry points, target, provider flags). */
  constructor(options: InspectOptions) {
    this.#options = options
    this.#facts = { entryPoints: (options.entryPoints?.length ? options.entryPoints : ['web']).map((name) => ({ name })) }
  }

  /** What Traefik's API says of the process: entry point addresses, features (known once it listens). */
  setApiFacts(facts: ApiFacts): void {
    this.#facts = facts
    this.#api = new WeakMap()
  }

  /** manifestPipeline's build, remembering the loaded objects of each Built it returns. */
  pipeline(provider: Partial<ProviderOptions>, toEdge: EdgeTableStage): (paths: string[]) => Promise<Built> {
    return async (paths) => {
      const loaded = await loadManifests(paths)
      const built = buildFromSnapshot(loaded, provider, toEdge)
      this.#loadedOf.set(built.table.routes, loaded)
      return built
    }
  }

  /** A publish step that records what it published. */
  observe(publish: (built: Built) => Promise<PublishResult>): (built: Built) => Promise<PublishResult> {
    return async (built) => {
      const result = await publish(built)
      this.published(built, result)
      return result
    }
  }

  /** Records a build the publisher was given, and what it wrote. */
  published(built: Built, result: PublishResult): void {
    const loaded = this.#loadedOf.get(built.table.routes)
    if (!loaded) return
    const published: PublishedInfo = {
      routesVersion: result.manifest.routes.version,
      endpointsVersion: result.manifest.endpoints.version,
      pushedAt: new Date(result.manifest.issuedAt).toISOString(),
      changed: result.changed,
    }
    if (this.#current && this.#current.built.table.routes === built.table.routes) {
      // The same build published again (a health change): new endpoints, same objects.
      this.#current.built = built
      this.#current.published = published
      delete this.#current.view
      return
    }
    // An unchanged table keeps the last diff worth showing.
    if (result.changed || !this.#current) this.#previous = this.#current
    this.#current = { loaded, built, published }
  }

  /** Records a build without publishing it (tests, or a dashboard over files alone). */
  show(loaded: LoadResult, built: Built): void {
    this.#loadedOf.set(built.table.routes, loaded)
    this.#previous = this.#current
    this.#current = { loaded, built, published: null }
  }

  #inspection(e: Entry): Inspection {
    return (e.inspection ??= inspectLoaded(e.loaded, this.#options))
  }

  state(): DashboardState | null {
    const c = this.#current
    return c ? dashboardState(this.#inspection(c), c.published, c.built.table.endpoints as EndpointsTable) : null
  }

  /** What Traefik's API serves for the current build and health (shared/api/traefik-api.ts), or null before a build. */
  api(): ApiData | null {
    const c = this.#current
    if (!c) return null
    const endpoints = c.built.table.endpoints as EndpointsTable
    let data = this.#api.get(endpoints)
    if (!data) {
      const i = this.#inspection(c)
      const runtime = runtimeConfiguration({
        config: i.config,
        table: i.edge.table,
        diagnostics: i.edge.diagnostics,
        entryPoints: i.options.entryPoints,
        endpoints,
      })
      this.#api.set(endpoints, (data = apiData(runtime, this.#facts)))
    }
    return data
  }

  /** Explains a request against the published table, as `npm run explain` does. */
  explain(request: ExplainRequest): Explanation | null {
    const c = this.#current
    if (!c) return null
    c.view ??= routingView(c.built)
    return explainRequest(storedParts(c.built), c.view, request)
  }

  /** What the last published change changed, or null before there were two builds. */
  diff(): ConfigDiff | null {
    const [p, c] = [this.#previous, this.#current]
    return p && c ? diffInspections(this.#inspection(p), this.#inspection(c)) : null
  }
}
