/**
 * Step 2 of the pipeline: Traefik's dynamic configuration to the edge's table and endpoints,
 * for one target runtime, with a diagnostic for everything the edge will not do as Traefik does.
 * Pure: no I/O, and nothing throws out of it.
 *
 * Routers are dropped as Traefik drops them (rule errors, missing services or middlewares); a
 * router whose middlewares include one the edge does not implement stays, and answers 501
 * rather than serving the route without it.
 *
 * @module
 */
import { forwardAuthCaUnsupported } from '../../shared/middlewares/forward-auth.ts'
import type { DynamicConfig, ForwardAuth } from '../../shared/dynamic/types.ts'
import { UNIMPLEMENTED_MIDDLEWARE_STATUS, type EdgeTarget } from '../../shared/table/capabilities.ts'
import { defaultPriority, parseRuleForTable, type ParsedRule } from '../../shared/table/rules.ts'
import { errorPageService } from '../../shared/table/split.ts'
import {
  DEFAULT_TLS_OPTIONS,
  TABLE_SCHEMA_VERSION,
  type EdgeTable,
  type EndpointsTable,
  type TableMiddleware,
  type TableRouter,
  type TableService,
} from '../../shared/table/schema.ts'
import { EdgeDiagnostics, type EdgeDiagnostic } from './diagnostics.ts'
import { MAX_MIDDLEWARE_BYTES, MiddlewareCompiler, mib } from './middlewares.ts'
import { qualify } from './references.ts'
import { ruleError } from './rule-messages.ts'
import { ServiceCompiler, type TunnelOptions } from './services.ts'
import type { UpstreamChannel } from './transports.ts'
import { resolveTlsConflicts, tableTls, type ResolvedTls } from './tls-options.ts'

export interface EdgeTableOptions {
  target: EdgeTarget
  /** Entry points the edge serves; routers naming none of them are reported. Default: not checked. */
  entryPoints?: string[]
  /** Cloudflare target: the servers reached through the cluster's tunnel, and how it carries the Host (shared/table/tunnel.ts). */
  tunnel?: TunnelOptions
}

export interface BuiltEdgeTable {
  table: EdgeTable
  endpoints: EndpointsTable
  diagnostics: EdgeDiagnostic[]
  /** The transports' own networks (trust, client certificate) the workerd config must provide. */
  channels: UpstreamChannel[]
}

const INVALID_MIDDLEWARES = 'middlewares whose configuration the edge refuses: '

/** One empty list for every router without entry points (there can be 100k of them). */
const NO_ENTRY_POINTS: string[] = Object.freeze([]) as unknown as string[]

/** Traefik's cap on user priorities (math.MaxInt - 1000), as far as a JS number can say it. */
const MAX_PRIORITY = Number.MAX_SAFE_INTEGER - 1000

export function buildEdgeTable(config: DynamicConfig, options: EdgeTableOptions): BuiltEdgeTable {
  const d = new EdgeDiagnostics()
  const http = config.http ?? {}
  const services = new ServiceCompiler(http, options.target, d, options.tunnel)
  const middlewares = new MiddlewareCompiler(http.middlewares, options.target)
  const routers: Record<string, TableRouter> = {}
  const tls = resolveTlsConflicts(http.routers ?? {}, options.entryPoints, d)

  // Every service first, in sorted order, routers after: what a service says (a reference cycle's
  // path above all: Traefik names the services in the order it reached them) then depends on
  // the services alone, not on the order routers come in, and the incremental pipeline
  // (control-plane/pipeline/incremental) gives the same. Services no router uses are compiled too:
  // their problems are worth knowing before they are used.
  for (const name of Object.keys(http.services ?? {}).sort()) services.resolve(name)
  for (const [name, router] of Object.entries(tls.routers)) {
    try {
      const built = buildRouter(name, router, services, middlewares, options, d, tls, config)
      if (built) routers[name] = built
    } catch (err) {
      d.error('router', name, '', `not served: ${(err as Error).message}`)
    }
  }

  for (const [key, refs] of services.out.serviceMiddlewares) {
    const svc = services.out.services[key]
    if (svc) services.out.services[key] = withServiceMiddlewares(key, svc, refs, middlewares, d)
  }
  // The middlewares' own problems last, each middleware's together (middlewareDiagnostics).
  const reported = [...new Set([...Object.keys(middlewares.middlewares), ...middlewares.reports.keys()])].sort()
  for (const key of reported) {
    const mw = middlewares.middlewares[key]
    d.items.push(...middlewareDiagnostics(key, mw, middlewares.reports.get(key), middlewares.oversize.get(key), services, options.target))
  }

  return {
    table: {
      schema: TABLE_SCHEMA_VERSION,
      target: options.target,
      routers,
      middlewares: middlewares.middlewares,
      services: services.out.services,
      transports: services.out.transports,
      ...(tls.optionsOf.size ? { tls: tableTls(config, tls, routers, options.entryPoints) } : {}),
    },
    endpoints: { schema: TABLE_SCHEMA_VERSION, services: services.out.endpoints },
    diagnostics: d.items,
    channels: sortedChannels(Object.values(services.out.channels)),
  }
}

/** Channels by binding, each with its transports sorted: the same whatever order services were compiled in. */
export function sortedChannels(channels: Iterable<UpstreamChannel>): UpstreamChannel[] {
  return [...channels].map((c) => ({ ...c, transports: [...c.transports].sort() })).sort((a, b) => (a.binding < b.binding ? -1 : a.binding > b.binding ? 1 : 0))
}

/** A service with its middlewares expanded, or the unservable service that replaces it. */
export function withServiceMiddlewares(key: string, svc: TableService, refs: string[], middlewares: MiddlewareCompiler, d: EdgeDiagnostics): TableService {
  const expanded = middlewares.expand(refs)
  if ('error' in expanded) {
    d.error('service', key, expanded.index === undefined ? 'middlewares' : `middlewares[${expanded.index}]`, `${expanded.error}: the service answers 500`)
    return { kind: 'unservable', status: 500, message: `service middlewares: ${expanded.error}` }
  }
  svc.middlewares = expanded.keys
  if (expanded.unimplemented.length) {
    d.error(
      'service',
      key,
      'middlewares',
      `middlewares the edge cannot run: ${expanded.unimplemented.join(', ')}; the service answers ${UNIMPLEMENTED_MIDDLEWARE_STATUS}`,
    )
    return { kind: 'unservable', status: UNIMPLEMENTED_MIDDLEWARE_STATUS, message: `middlewares the edge cannot run: ${expanded.unimplemented.join(', ')}` }
  }
  if (expanded.invalid.length) {
    d.error('service', key, 'middlewares', `${INVALID_MIDDLEWARES}${expanded.invalid.join(', ')}; the service answers 500`)
    return { kind: 'unservable', status: 500, message: `${INVALID_MIDDLEWARES}${expanded.invalid.join(', ')}` }
  }
  return svc
}

/**
 * A middleware's problems, in one order whoever asks: what the expansions that came across it
 * found (`reports`, by message), then what the edge cannot do with it in the table: a
 * configuration too large to publish, an errors middleware whose page service is not in the table
 * (it travels with the middleware: shared/table/split.ts), forwardAuth tls.ca on Cloudflare (a
 * self-hosted workerd trusts it: outboundCAs). `mw`: its table entry (undefined: not in the table).
 */
export function middlewareDiagnostics(
  key: string,
  mw: TableMiddleware | undefined,
  reports: readonly EdgeDiagnostic[] | undefined,
  oversize: number | undefined,
  services: Pick<ServiceCompiler, 'resolve' | 'whyNot'>,
  target: EdgeTarget,
): EdgeDiagnostic[] {
  const d = new EdgeDiagnostics()
  if (reports) d.items.push(...[...reports].sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)))
  if (mw === undefined) return d.items
  if (oversize !== undefined) {
    d.error(
      'middleware',
      key,
      mw.type,
      `its configuration takes ${mib(oversize)}, more than the ${mib(MAX_MIDDLEWARE_BYTES)} the edge publishes for one middleware (a Workers KV value holds 25 MiB): left out, the routes using it answer 500`,
    )
  }
  const page = errorPageService(mw)
  if (page !== null && services.resolve(page) === null) d.error('middleware', key, 'errors.service', `${services.whyNot(page)}: the routes using it answer 500`)
  const why = mw.type === 'forwardAuth' ? forwardAuthCaUnsupported(mw.config as ForwardAuth, target) : null
  if (why !== null) d.error('middleware', key, 'tls.ca', `${why}: the routes using it answer ${UNIMPLEMENTED_MIDDLEWARE_STATUS}`)
  return d.items
}

/**
 * Parsed rules by text, kept across builds: a rebuild after one change parses one rule, and an
 * unchanged router's tree stays the same object (TableInterner then compares it by identity).
 * Trees and host lists are never mutated once built. Rules that fail are not kept (they throw again).
 */
const parsedRules = new Map<string, ParsedRule>()
// The incremental pipeline parses only changed routers: the cache serves full rebuilds (file mode).
const MAX_PARSED_RULES = 20_000

function parsedRule(rule: string): ParsedRule {
  let parsed = parsedRules.get(rule)
  if (parsed === undefined) {
    parsed = parseRuleForTable(rule)
    if (parsedRules.size >= MAX_PARSED_RULES) parsedRules.clear()
    parsedRules.set(rule, parsed)
  }
  return parsed
}

export function buildRouter(
  name: string,
  router: NonNullable<NonNullable<DynamicConfig['http']>['routers']>[string],
  services: ServiceCompiler,
  middlewares: MiddlewareCompiler,
  options: EdgeTableOptions,
  d: EdgeDiagnostics,
  tls: ResolvedTls,
  config: DynamicConfig,
): TableRouter | null {
  // Checked in the order Traefik builds a router (pkg/server/router), so the first problem is the
  // one Traefik reports: entry points, priority, TLS options, service, middlewares, rule.
  const entryPoints = router.entryPoints ?? NO_ENTRY_POINTS
  if (options.entryPoints && entryPoints.length) {
    const missing = entryPoints.filter((ep) => !options.entryPoints!.includes(ep))
    for (const ep of missing) d.warn('router', name, `entryPoints[${entryPoints.indexOf(ep)}]`, `entryPoint ${JSON.stringify(ep)} doesn't exist`)
    if (missing.length === entryPoints.length) d.error('router', name, 'entryPoints', 'no valid entryPoint for this router')
  }
  if (router.parentRefs?.length || !router.service) {
    d.error('router', name, router.service ? 'parentRefs' : 'service', 'multi-layer routing (parent and child routers) is not supported by the edge')
    return null
  }
  const priority = router.priority ? router.priority : defaultPriority(router.rule)
  if (priority > MAX_PRIORITY) {
    d.error('router', name, 'priority', `the router priority ${priority} exceeds the max user-defined priority ${MAX_PRIORITY}`)
    return null
  }
  const tlsOptions = tls.optionsOf.get(name)
  if (tlsOptions !== undefined && tlsOptions !== DEFAULT_TLS_OPTIONS && !config.tls?.options?.[tlsOptions]) {
    d.error('router', name, 'tls.options', `building router handler: unknown TLS options: ${qualify(router.tls?.options ?? tlsOptions)}`)
    return null
  }
  const service = services.resolve(router.service)
  if (service === null) {
    d.error('router', name, 'service', services.whyNot(router.service))
    return null
  }
  const expanded = middlewares.expand(router.middlewares ?? [])
  if ('error' in expanded) {
    d.error('router', name, expanded.index === undefined ? 'middlewares' : `middlewares[${expanded.index}]`, expanded.error)
    return null
  }
  if (router.ruleSyntax && router.ruleSyntax !== 'v3') {
    d.error('router', name, 'ruleSyntax', `rule syntax ${router.ruleSyntax} is not supported by the edge (v3 only)`)
    return null
  }
  let parsed
  try {
    parsed = parsedRule(router.rule ?? '')
  } catch (err) {
    d.error('router', name, 'rule', ruleError(router.rule ?? '', err))
    return null
  }
  for (const re of parsed.regexps) {
    const usual = re.matcher === 'HostRegexp' ? 253 : 8192
    if (re.maxInput >= usual) continue
    const what = re.matcher === 'HostRegexp' ? 'host' : re.matcher === 'PathRegexp' ? 'path' : re.matcher === 'HeaderRegexp' ? 'header value' : 'query value'
    const pattern = re.pattern.length > 60 ? `${re.pattern.slice(0, 57)}...` : re.pattern
    d.warn(
      'router',
      name,
      'rule',
      `${re.matcher} \`${pattern}\` compiles to ${re.states} states: to bound the work of a match, the edge answers a ${what} longer than ${re.maxInput} characters as not matching it`,
    )
  }
  if (router.tls?.certResolver) {
    d.warn(
      'router',
      name,
      'tls.certResolver',
      `certificate resolver ${JSON.stringify(router.tls.certResolver)} is not run by the edge (no ACME): on Cloudflare the zone's edge certificates or uploaded Secrets serve these hosts; self-hosted serves the TLSStore default certificate`,
    )
  }
  const built: TableRouter = {
    entryPoints,
    rule: router.rule,
    tree: parsed.tree,
    hosts: parsed.hosts,
    priority,
    tls: router.tls !== undefined,
    ...(tlsOptions !== undefined && tlsOptions !== DEFAULT_TLS_OPTIONS ? { tlsOptions } : {}),
    middlewares: expanded.keys,
    service,
    ...(router.observability && Object.keys(router.observability).length ? { observability: { ...router.observability } } : {}),
  }
  if (expanded.unimplemented.length) {
    const message = `middlewares the edge cannot run: ${expanded.unimplemented.join(', ')}`
    d.error('router', name, 'middlewares', `${message}; the route answers ${UNIMPLEMENTED_MIDDLEWARE_STATUS} instead of serving without them`)
    built.error = { status: UNIMPLEMENTED_MIDDLEWARE_STATUS, message }
  } else if (expanded.invalid.length) {
    const message = `${INVALID_MIDDLEWARES}${expanded.invalid.join(', ')}`
    d.error('router', name, 'middlewares', `${message}; the route answers 500`)
    built.error = { status: 500, message }
  }
  return built
}
