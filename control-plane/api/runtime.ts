/**
 * Traefik's runtime configuration (shared/api/runtime.ts) of one build: what Traefik's server would
 * hold after building the same dynamic configuration on the edge's entry points, with the edge
 * table's verdicts as the statuses and errors.
 *
 * As Traefik (pkg/server/aggregator.go, pkg/server/router, pkg/server/service): names are
 * qualified (`@kubernetescrd`), routers without entry points get the edge's, every router gets
 * the default observability, Traefik's internal services are listed (`api@internal`,
 * `dashboard@internal`, `noop@internal`), a router built on an entry point gets its computed
 * priority and qualified middlewares, and the services and chains it builds get their qualified
 * serversTransport, resolved sticky cookie name, qualified chain members and `serverStatus`.
 * Statuses: a router, service or middleware the edge table leaves out is `disabled` with the
 * table's messages (Traefik's words); one it keeps with a problem is a `warning`.
 *
 * Two differences, both said in docs/api.md: every service and middleware is checked (Traefik
 * checks only those a router builds), and secrets the edge keeps sealed are not shown.
 *
 * @module
 */
import {
  addError,
  populateUsedBy,
  routersByEntryPoints,
  STATUS_ENABLED,
  type RouterInfo,
  type RuntimeConfiguration,
  type ServiceInfo,
} from '../../shared/api/runtime.ts'
import { goDurationString, parseGoDuration } from '../../shared/dynamic/duration.ts'
import type { DynamicConfig, Router } from '../../shared/dynamic/types.ts'
import { defaultPriority } from '../../shared/table/rules.ts'
import type { EdgeTable, EndpointsTable } from '../../shared/table/schema.ts'
import { childServices, errorPageService } from '../../shared/table/split.ts'
import { EdgeDiagnostics, type EdgeDiagnostic } from '../table/diagnostics.ts'
import { INTERNAL_SERVICES, qualify } from '../table/references.ts'
import { resolveTlsConflicts } from '../table/tls-options.ts'
import { redactMiddlewareConfig } from '../../shared/secrets/redact.ts'

export interface RuntimeInput {
  config: DynamicConfig
  table: EdgeTable
  diagnostics: readonly EdgeDiagnostic[]
  /** The entry points the edge serves. */
  entryPoints: readonly string[]
  /** Servers and their health; absent: no serverStatus. */
  endpoints?: EndpointsTable
}

/** Router fields Traefik sets on the ones it builds: they are no longer the user's to report. */
const BEFORE_HANDLER = new Set(['entryPoints', 'priority', 'tls.options', 'parentRefs'])

const DEFAULT_OBSERVABILITY = { accessLogs: true, metrics: true, tracing: true, traceVerbosity: 'minimal' }

export function runtimeConfiguration(input: RuntimeInput): RuntimeConfiguration {
  const { config, table } = input
  const http = config.http ?? {}
  const entryPoints = [...input.entryPoints]

  // Routers as Traefik's aggregator leaves them: default entry points, TLS conflicts resolved.
  const withEntryPoints: Record<string, Router> = {}
  for (const [name, r] of Object.entries(http.routers ?? {})) withEntryPoints[name] = r.entryPoints?.length ? r : { ...r, entryPoints }
  const routers = resolveTlsConflicts(withEntryPoints, entryPoints, new EdgeDiagnostics()).routers

  const rt: RuntimeConfiguration = { routers: {}, services: {}, middlewares: {} }
  for (const [name, r] of Object.entries(routers)) {
    rt.routers![qualify(name)] = { ...(durations(r) as RouterInfo), observability: { ...DEFAULT_OBSERVABILITY, ...r.observability }, status: STATUS_ENABLED }
  }
  for (const [name, s] of Object.entries(http.services ?? {})) rt.services![qualify(name)] = { ...(durations(s) as ServiceInfo), status: STATUS_ENABLED }
  for (const name of Object.keys(INTERNAL_SERVICES)) rt.services![name] ??= { status: STATUS_ENABLED }
  for (const [name, m] of Object.entries(http.middlewares ?? {}))
    rt.middlewares![qualify(name)] = { ...redactMiddlewareConfig(durations(m) as Record<string, unknown>), status: STATUS_ENABLED }

  const onEntryPoint = new Set<string>()
  for (const tls of [false, true]) for (const eps of routersByEntryPoints(rt, entryPoints, tls).values()) for (const name of eps.keys()) onEntryPoint.add(name)

  const byObject = new Map<string, EdgeDiagnostic[]>()
  for (const d of input.diagnostics) byObject.set(`${d.kind} ${d.name}`, [...(byObject.get(`${d.kind} ${d.name}`) ?? []), d])

  // Routers Traefik builds: its entry points exist; the priority, TLS options, service and middlewares are then its own.
  const built: string[] = []
  for (const name of Object.keys(routers)) {
    const info = rt.routers![qualify(name)]!
    if (!onEntryPoint.has(qualify(name))) continue
    info.priority = info.priority || defaultPriority(info.rule ?? '')
    const diags = (byObject.get(`router ${name}`) ?? []).filter((d) => !d.field.startsWith('entryPoints'))
    const served = table.routers[name] !== undefined
    for (const d of diags) addError(info, d.message, !served)
    // Not built when refused before its handler (a TLS conflict is said on a router that is served).
    if (!served && diags.some((d) => BEFORE_HANDLER.has(d.field))) continue
    if (info.middlewares) info.middlewares = info.middlewares.map(qualify)
    const service = served ? table.services[table.routers[name]!.service] : undefined
    if (service?.kind === 'unservable') addError(info, service.message, false)
    if (served) built.push(name)
  }

  for (const d of input.diagnostics) {
    if (d.kind === 'service') {
      const info = rt.services![d.name.includes('@') ? d.name : qualify(d.name)]
      const kept = table.services[d.name]
      if (info) addError(info, d.message, kept === undefined)
    } else if (d.kind === 'middleware') {
      const info = rt.middlewares![qualify(d.name)]
      if (info) addError(info, d.message, d.severity === 'error')
    }
  }

  populateUsedBy(rt)
  markBuilt(rt, table, built, input.endpoints)
  return rt
}

/** What the routers Traefik builds build in turn: serverStatus, qualified transports, chains, cookie names. */
function markBuilt(rt: RuntimeConfiguration, table: EdgeTable, routers: string[], endpoints: EndpointsTable | undefined): void {
  const services = new Set<string>()
  const middlewares = new Set<string>()
  const service = (key: string): void => {
    if (services.has(key)) return
    services.add(key)
    const svc = table.services[key]
    if (!svc) return
    for (const m of svc.middlewares ?? []) middleware(m)
    for (const child of childServices(svc)) service(child)
    const info = rt.services![key.includes('@') ? key : qualify(key)]
    if (!info) return
    if (svc.kind === 'loadBalancer') {
      const lb = info.loadBalancer as { serversTransport?: string; sticky?: { cookie?: { name?: string } } } | undefined
      if (lb?.serversTransport) lb.serversTransport = qualify(lb.serversTransport)
      if (lb?.sticky?.cookie && svc.sticky) lb.sticky.cookie.name = svc.sticky.name
      const servers = endpoints?.services[key]?.servers
      if (servers?.length) info.serverStatus = Object.fromEntries(servers.map((s) => [s.url, s.up ? 'UP' : 'DOWN']))
    } else if (svc.kind === 'weighted' && svc.sticky) {
      const w = info.weighted as { sticky?: { cookie?: { name?: string } } } | undefined
      if (w?.sticky?.cookie) w.sticky.cookie.name = svc.sticky.name
    }
  }
  const middleware = (key: string): void => {
    if (middlewares.has(key)) return
    middlewares.add(key)
    const mw = table.middlewares[key]
    const page = mw ? errorPageService(mw) : null
    if (page !== null && table.services[page]) service(page)
  }
  // Chains are expanded in the table: their members are qualified in the runtime where a built router names the chain.
  const chains = (refs: string[] | undefined, seen = new Set<string>()): void => {
    for (const ref of refs ?? []) {
      const info = rt.middlewares![qualify(ref)] as { chain?: { middlewares?: string[] } } | undefined
      if (!info?.chain?.middlewares || seen.has(ref)) continue
      seen.add(ref)
      const members = info.chain.middlewares
      info.chain.middlewares = members.map(qualify)
      chains(members, seen)
    }
  }
  for (const name of routers) {
    const r = table.routers[name]!
    r.middlewares.forEach(middleware)
    service(r.service)
    chains(rt.routers![qualify(name)]!.middlewares)
  }
}

/** Duration fields as Traefik's API writes them (Go's `100ms`), not as the dynamic configuration's JSON (`100000000ns`). */
function durations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(durations)
  if (typeof value !== 'object' || value === null)
    return typeof value === 'string' && /^-?\d+ns$/.test(value) ? goDurationString(parseGoDuration(value)) : value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, durations(v)]))
}
