/**
 * Traefik's read-only API (pkg/api) as a Hono app over a runtime configuration: the same paths,
 * shapes, filters, sorting, pagination, status codes and error bodies, so Traefik's dashboard
 * widgets, monitoring and scripts read this edge as they read Traefik.
 *
 *   GET /api/rawdata                        routers, middlewares, services (+ serverStatus), tcp/udp
 *   GET /api/overview                       totals, warnings and errors per section; features; providers
 *   GET /api/entrypoints[/{name}]           the entry points the edge serves
 *   GET /api/http/{routers,services,middlewares}[/{name}]
 *   GET /api/tcp/{routers,services,middlewares}[/{name}], /api/udp/{routers,services}[/{name}]
 *   GET /api/version
 *
 * The control plane serves it from its last build (control-plane/dashboard), the worker from the
 * document the control plane published for `api@internal` (edge-worker/src/service/internal.ts).
 *
 * @module
 */
import { Hono, type Context } from 'hono'
import {
  NEXT_PAGE_HEADER,
  filterMiddleware,
  filterService,
  pagination,
  searchCriterion,
  searchIn,
  sortItems,
  withStatus,
  type Criterion,
  type SortKeys,
} from './list.ts'
import { middlewareRepresentation, routerRepresentation, serversCount, serviceRepresentation } from './representation.ts'
import { goQuote, type MiddlewareInfo, type RouterInfo, type RuntimeConfiguration, type ServiceInfo } from './runtime.ts'

/** What the API serves: the runtime configuration and the static facts Traefik's API reads. */
export interface ApiData {
  runtime: RuntimeConfiguration
  /** Entry points by name, each in Traefik's static configuration shape (`address`, `http`...). */
  entryPoints?: Record<string, Record<string, unknown>>
  /** Provider names as Traefik's overview lists them (`KubernetesCRD`). */
  providers?: string[]
  features?: { tracing?: string; metrics?: string; accessLog?: boolean }
  version?: { Version: string; Codename: string; startDate: string }
}

/** The data to serve, or null before there is any (503). */
export type ApiLoader = () => ApiData | null | Promise<ApiData | null>

const JSON_TYPE = 'application/json'

export function traefikApi(load: ApiLoader): Hono {
  const app = new Hono()
  const withData = (serve: (c: Context, data: ApiData) => Response) => async (c: Context) => {
    const data = await load()
    return data ? serve(c, data) : error(503, 'no configuration built yet')
  }

  app.get(
    '/api/rawdata',
    withData((_, d) => json(rawData(d.runtime))),
  )
  app.get(
    '/api/overview',
    withData((_, d) => json(overview(d))),
  )
  app.get(
    '/api/version',
    withData((_, d) => json(d.version ?? { Version: 'dev', Codename: '', startDate: new Date(0).toISOString() }, 'application/json; charset=UTF-8')),
  )

  app.get(
    '/api/entrypoints',
    withData((c, d) => {
      const items = Object.entries(d.entryPoints ?? {}).map(([name, ep]) => ({ ...ep, name }))
      sortItems(new URLSearchParams(), items, {})
      return page(c, items)
    }),
  )
  app.get(
    '/api/entrypoints/*',
    withData((c, d) => one(c, '/api/entrypoints/', 'entryPointID', 'entry point', d.entryPoints, (name, ep) => ({ ...ep, name }))),
  )

  /** A list (`path`) and its items (`path/{name}`), as Traefik's handlers for one kind. */
  function kind<T, R extends Rep>(
    path: string,
    pick: (r: RuntimeConfiguration) => Record<string, T> | undefined,
    keep: (c: Criterion, name: string, item: T) => boolean,
    represent: (name: string, item: T) => R,
    keys: SortKeys<R>,
    param: string,
    what: string,
  ): void {
    app.get(
      path,
      withData((c, d) => list(c, pick(d.runtime), keep, represent, keys)),
    )
    app.get(
      `${path}/*`,
      withData((c, d) => one(c, `${path}/`, param, what, pick(d.runtime), represent)),
    )
  }
  for (const proto of ['http', 'tcp', 'udp'] as const) {
    const [routers, services, middlewares] =
      proto === 'http'
        ? (['routers', 'services', 'middlewares'] as const)
        : proto === 'tcp'
          ? (['tcpRouters', 'tcpServices', 'tcpMiddlewares'] as const)
          : (['udpRouters', 'udpServices', null] as const)
    kind(`/api/${proto}/routers`, (r) => r[routers], keepRouter, routerRepresentation, ROUTER_KEYS, 'routerID', 'router')
    kind(`/api/${proto}/services`, (r) => r[services], keepNamed, serviceRepresentation, SERVICE_KEYS, 'serviceID', 'service')
    if (middlewares)
      kind(`/api/${proto}/middlewares`, (r) => r[middlewares], keepNamed, middlewareRepresentation, MIDDLEWARE_KEYS, 'middlewareID', 'middleware')
  }
  return app
}

/** rawdata: the runtime configuration; empty sections left out, as Go's omitempty does. */
export function rawData(r: RuntimeConfiguration): RuntimeConfiguration {
  const out: RuntimeConfiguration = {}
  for (const [k, v] of Object.entries(r) as Array<[keyof RuntimeConfiguration, Record<string, unknown> | undefined]>) {
    if (v && Object.keys(v).length) (out as Record<string, unknown>)[k] = v
  }
  return out
}

function keepRouter(c: Criterion, name: string, r: RouterInfo): boolean {
  return withStatus(c, r.status) && searchIn(c, r.rule, name) && filterService(c, r.service) && filterMiddleware(c, r.middlewares)
}

function keepNamed(c: Criterion, name: string, x: ServiceInfo | MiddlewareInfo): boolean {
  return withStatus(c, x.status) && searchIn(c, name)
}

type Rep = { name: string; provider?: string; status?: string; type?: string }
const ROUTER_KEYS: SortKeys<Rep & RouterInfo> = {
  provider: (r) => r.provider ?? '',
  priority: (r) => r.priority ?? 0,
  status: (r) => r.status ?? '',
  rule: (r) => r.rule ?? '',
  service: (r) => r.service ?? '',
  entryPoints: (r) => r.entryPoints?.length ?? 0,
}
const SERVICE_KEYS: SortKeys<Rep & ServiceInfo> = {
  type: (s) => s.type ?? '',
  servers: (s) => serversCount(s),
  provider: (s) => s.provider ?? '',
  status: (s) => s.status ?? '',
}
const MIDDLEWARE_KEYS: SortKeys<Rep> = {
  type: (m) => m.type ?? '',
  provider: (m) => m.provider ?? '',
  status: (m) => m.status ?? '',
}

function list<T, R extends Rep>(
  c: Context,
  items: Record<string, T> | undefined,
  keep: (c: Criterion, name: string, item: T) => boolean,
  represent: (name: string, item: T) => R,
  keys: SortKeys<R>,
): Response {
  const query = new URL(c.req.url).searchParams
  const criterion = searchCriterion(query)
  const out: R[] = []
  for (const [name, item] of Object.entries(items ?? {})) if (criterion === null || keep(criterion, name, item)) out.push(represent(name, item))
  sortItems(query, out, keys)
  return page(c, out)
}

function page(c: Context, items: unknown[]): Response {
  let p
  try {
    p = pagination(new URL(c.req.url).searchParams, items.length)
  } catch (err) {
    return error(400, (err as Error).message)
  }
  return json(items.slice(p.start, p.end), JSON_TYPE, { [NEXT_PAGE_HEADER]: String(p.next) })
}

/** One element by its (path-escaped) name; a name with a raw `/` is no route at all, as in gorilla/mux. */
function one<T>(
  c: Context,
  prefix: string,
  param: string,
  what: string,
  items: Record<string, T> | undefined,
  represent: (name: string, item: T) => unknown,
): Response {
  const raw = new URL(c.req.url).pathname.slice(prefix.length)
  if (raw === '' || raw.includes('/')) return notFound()
  let id: string
  try {
    id = pathUnescape(raw)
  } catch (err) {
    return error(400, `unable to decode ${param} ${goQuote(raw)}: ${(err as Error).message}`)
  }
  const item = items && Object.hasOwn(items, id) ? items[id] : undefined
  return item === undefined ? error(404, `${what} not found: ${id}`) : json(represent(id, item))
}

/** Go's url.PathUnescape: `%XX` escapes only (a `+` stays a plus). */
function pathUnescape(s: string): string {
  const bad = /%(?![0-9A-Fa-f]{2})(.{0,2})/s.exec(s)
  if (bad) throw new Error(`invalid URL escape ${goQuote(`%${bad[1]}`)}`)
  return decodeURIComponent(s)
}

function overview(d: ApiData): unknown {
  const r = d.runtime
  return {
    http: { routers: section(r.routers), services: section(r.services), middlewares: section(r.middlewares) },
    tcp: { routers: section(r.tcpRouters), services: section(r.tcpServices), middlewares: section(r.tcpMiddlewares) },
    udp: { routers: section(r.udpRouters), services: section(r.udpServices) },
    features: { tracing: d.features?.tracing ?? '', metrics: d.features?.metrics ?? '', accessLog: d.features?.accessLog ?? false },
    ...(d.providers?.length ? { providers: d.providers } : {}),
  }
}

function section(items: Record<string, { status?: string }> | undefined): { total: number; warnings: number; errors: number } {
  const all = Object.values(items ?? {})
  return {
    total: all.length,
    warnings: all.filter((i) => i.status === 'warning').length,
    errors: all.filter((i) => i.status === 'disabled').length,
  }
}

function json(value: unknown, type = JSON_TYPE, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(value)}\n`, { status: 200, headers: { 'content-type': type, ...headers } })
}

/** Traefik's writeError: the message as JSON, sent the way Go's http.Error sends text. */
function error(status: number, message: string): Response {
  return new Response(`${JSON.stringify({ message })}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
  })
}

function notFound(): Response {
  return new Response('404 page not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } })
}
