/**
 * The pure step between the stored table and the request path: merge the parts a host needs,
 * link every name to the object it names, and index routers per entry point, so a request costs
 * a map lookup and the rules of the candidates (the loader caches the result per version).
 *
 * Per entry point and TLS-ness (Traefik's HTTP and HTTPS muxers), routers go into shared/rules'
 * host-first index, built the first time that entry point serves a request: candidates by
 * priority, highest first (equal priorities by name, where Traefik leaves the order undefined).
 *
 * @module
 */
import { buildRouterIndex, type RouterIndex, type RuleNode } from '../rules/index.ts'
import { TABLE_SCHEMA_VERSION, type EdgeTable, type EndpointsTable, type TableRouter, type TableServer, type TableTls } from './schema.ts'
import type { EdgeTarget } from './capabilities.ts'
import { errorPageService, mergeTableParts } from './split.ts'
import type { EntryPointRoutes, MatchRequest, PreparedMiddleware, PreparedRouter, PreparedService, RoutingView } from './view.ts'

/**
 * `endpoints`: parts of the endpoints table (the loader passes the servers of `rest`'s services,
 * then those of the bucket's hosts); a service's servers come from the first part that has it.
 * `previous`: a view of the same version over fewer parts (the loader adds a host's part when
 * the host is first asked for). Routers it prepared from the same objects are kept as they are,
 * so their built handlers and middleware state survive the growth.
 */
export function prepareTable(parts: unknown[], endpoints: unknown[], previous?: RoutingView): RoutingView {
  const eps = endpoints as Array<EndpointsTable | null>
  for (const ep of eps) {
    if (ep?.schema !== TABLE_SCHEMA_VERSION || typeof ep.services !== 'object') {
      throw new Error(`endpoints table has schema ${JSON.stringify(ep?.schema)}, not ${TABLE_SCHEMA_VERSION}`)
    }
  }
  const serversOf = (name: string): TableServer[] => {
    for (const ep of eps) if (Object.hasOwn(ep!.services, name)) return ep!.services[name]!.servers
    return []
  }
  const table = mergeTableParts(parts as EdgeTable[])
  const services = new Map<string, PreparedService>()
  const middlewares = new Map<string, PreparedMiddleware>()

  const middleware = (name: string): PreparedMiddleware => {
    let m = middlewares.get(name)
    if (!m) {
      const spec = table.middlewares[name]
      if (!spec) throw new Error(`middleware ${name} is missing from the table`)
      middlewares.set(name, (m = { name, type: spec.type, config: spec.config }))
      const page = errorPageService(spec)
      if (page !== null && table.services[page]) m.service = service(page)
    }
    return m
  }

  const service = (name: string, path: string[] = []): PreparedService => {
    const known = services.get(name)
    if (known) return known
    if (path.includes(name)) throw new Error(`service ${name} references itself`)
    const spec = table.services[name]
    if (!spec) throw new Error(`service ${name} is missing from the table`)
    const inner = [...path, name]
    const base = { name, middlewares: (spec.middlewares ?? []).map(middleware) }
    let prepared: PreparedService
    switch (spec.kind) {
      case 'loadBalancer':
        prepared = {
          ...base,
          kind: 'loadBalancer',
          spec,
          servers: serversOf(name),
          transport: spec.transport ? (table.transports[spec.transport] ?? null) : null,
        }
        break
      case 'weighted':
        prepared = { ...base, kind: 'weighted', spec, children: spec.services.map((c) => ({ service: service(c.service, inner), weight: c.weight })) }
        break
      case 'mirroring':
        prepared = {
          ...base,
          kind: 'mirroring',
          spec,
          main: service(spec.service, inner),
          mirrors: spec.mirrors.map((m) => ({ service: service(m.service, inner), percent: m.percent })),
        }
        break
      case 'failover':
        prepared = { ...base, kind: 'failover', spec, main: service(spec.service, inner), fallback: service(spec.fallback, inner) }
        break
      case 'unservable':
        prepared = { ...base, kind: 'unservable', status: spec.status, message: spec.message }
        break
      case 'internal':
        prepared = { ...base, kind: 'internal', service: spec.service, ...(spec.document ? { document: spec.document } : {}) }
        break
    }
    services.set(name, prepared)
    return prepared
  }

  const kept = previous instanceof PreparedView ? previous.routersBySource() : null
  const routers: IndexedRouter[] = Object.entries(table.routers).map(
    ([name, r]) => kept?.get(r) ?? indexed(name, r, service(r.service), r.middlewares.map(middleware)),
  )

  // A class, not closures over this scope: those would keep the merged table and the name maps
  // alive for as long as the view serves (several MB per bucket view at 100k routers).
  return new PreparedView(table.target, table.tls, routers)
}

class PreparedView implements RoutingView {
  readonly target: EdgeTarget
  readonly tls?: TableTls
  readonly #routers: IndexedRouter[]
  readonly #entryPoints = new Map<string, EntryPointRoutes>()

  constructor(target: EdgeTarget, tls: TableTls | undefined, routers: IndexedRouter[]) {
    this.target = target
    if (tls) this.tls = tls
    this.#routers = routers
  }

  /** Each router by the table object it was prepared from. */
  routersBySource(): Map<TableRouter, IndexedRouter> {
    return new Map(this.#routers.map((r) => [r.source, r]))
  }

  entryPoint(name: string): EntryPointRoutes {
    let routes = this.#entryPoints.get(name)
    if (!routes) {
      routes = new EntryPointIndex(this.#routers.filter((r) => r.entryPoints.length === 0 || r.entryPoints.includes(name)))
      this.#entryPoints.set(name, routes)
    }
    return routes
  }
}

interface IndexedRouter extends PreparedRouter {
  entryPoints: string[]
  tree: RuleNode
  /** The table's router object (a later, larger view of the same version keeps this router). */
  source: TableRouter
}

function indexed(name: string, r: TableRouter, service: PreparedService, middlewares: PreparedMiddleware[]): IndexedRouter {
  return {
    name,
    rule: r.rule,
    priority: r.priority,
    tls: r.tls,
    middlewares,
    service,
    ...(r.error ? { error: r.error } : {}),
    ...(r.observability ? { observability: r.observability } : {}),
    entryPoints: r.entryPoints,
    tree: r.tree as RuleNode,
    source: r,
  }
}

/** One router index (shared/rules) per entry point and TLS-ness: Traefik's HTTP and HTTPS muxers. */
class EntryPointIndex implements EntryPointRoutes {
  readonly #routers: IndexedRouter[]
  readonly #indexes = new Map<boolean, RouterIndex<IndexedRouter>>()

  constructor(routers: IndexedRouter[]) {
    this.#routers = routers
  }

  match(request: MatchRequest, tls: boolean): PreparedRouter | null {
    let index = this.#indexes.get(tls)
    if (!index) {
      const routers = this.#routers.filter((r) => r.tls === tls)
      // Lazy: the control plane parsed and checked every rule; most routers of a big table never see a request here.
      index = buildRouterIndex(
        routers.map((r) => ({ name: r.name, rule: r.tree, ruleText: r.rule, priority: r.priority, value: r })),
        { lazy: true },
      )
      this.#indexes.set(tls, index)
    }
    return index.match(request) ?? null
  }
}
