/**
 * The dashboard's data: one JSON document made from the latest build (an Inspection) and what was
 * published from it. Every router, service, middleware and TLS option of Traefik's configuration
 * and of the edge table, each with its source object, status and diagnostics. Pure.
 *
 * Status, as Traefik's dashboard says it: `enabled` (served as configured), `warning` (served,
 * with a difference worth knowing), `error` (present at the edge but answering an error instead
 * of serving), `disabled` (not served at all).
 *
 * @module
 */
import { formatDiagnostic, type Diagnostic } from '../compiler/index.ts'
import { locateEdgeDiagnostics, uniqueDiagnostics } from '../diagnostics/edge-located.ts'
import type { Inspection } from '../explain/inspect.ts'
import type { EdgeDiagnostic, EdgeObjectKind } from '../table/diagnostics.ts'
import type { EndpointsTable } from '../../shared/table/schema.ts'
import { childServices } from '../../shared/table/split.ts'
import { redactMiddleware } from '../../shared/secrets/redact.ts'
import { indexSources, type SourceIndex, type SourceRef } from '../diagnostics/sources.ts'

export type Status = 'enabled' | 'warning' | 'error' | 'disabled'

export interface StateDiagnostic {
  severity: 'error' | 'warning'
  /** compile: Traefik's provider would say it too; edge: what the edge cannot do as Traefik does. */
  stage: 'compile' | 'edge'
  field: string
  message: string
  /** The object the compiler reported it on, for compile diagnostics. */
  object?: string
  location?: string
}

interface Row {
  name: string
  status: Status
  source?: SourceRef
  diagnostics: StateDiagnostic[]
}

export interface RouterRow extends Row {
  rule: string
  priority: number | null
  entryPoints: string[]
  tls: boolean
  tlsOptions?: string
  middlewares: string[]
  service: string
  /** What it answers instead of serving, when status is `error`. */
  answers?: string
}

export interface ServiceRow extends Row {
  kind: string
  servers: Array<{ url: string; up: boolean; weight: number }>
  children: string[]
}

export interface MiddlewareRow extends Row {
  type: string
  config: unknown
}

export interface TlsOptionRow extends Row {
  config: unknown
  /** Hosts served with these options (`entryPoint host`), from the edge table. */
  hosts: string[]
}

export interface PublishedInfo {
  /** Digest of the routes the pointer names (what the edge loads). */
  routesVersion: string
  endpointsVersion: string
  /** When the pointer was issued (ISO 8601). */
  pushedAt: string
  /** False when the last build published nothing new. */
  changed: boolean
}

export interface DashboardState {
  generatedAt: string
  files: string[]
  entryPoints: string[]
  target: string
  published: PublishedInfo | null
  routers: RouterRow[]
  services: ServiceRow[]
  middlewares: MiddlewareRow[]
  tlsOptions: TlsOptionRow[]
  /** Every problem of the build, as the command line prints them. */
  problems: Array<{ severity: 'error' | 'warning'; text: string; location?: string }>
}

/** `endpoints`: the published ones when known (with health checks' verdicts), else the build's. */
/** What the state is made of: one build (an Inspection, or the same parts from a build stage). */
export type StateInput = Pick<Inspection, 'loaded' | 'config' | 'compileDiagnostics' | 'edge'> &
  Partial<Pick<Inspection, 'edgeLocated'>> & { options: Pick<Inspection['options'], 'entryPoints' | 'target'> }

export function dashboardState(i: StateInput, published: PublishedInfo | null, endpoints: EndpointsTable = i.edge.endpoints, now = new Date()): DashboardState {
  const sources = indexSources(i.loaded.snapshot)
  const http = i.config.http ?? {}
  const table = i.edge.table
  const edgeLocated = i.edgeLocated ?? locateEdgeDiagnostics(i.edge.diagnostics, i.loaded.snapshot)
  const edgeDiags = groupEdge(i.edge.diagnostics, edgeLocated)
  const attach = compileAttacher(i.compileDiagnostics)

  const routers: RouterRow[] = []
  for (const name of union(Object.keys(http.routers ?? {}), Object.keys(table.routers))) {
    const c = http.routers?.[name]
    const t = table.routers[name]
    const source = sources.routers.get(name) ?? (c ? undefined : sourceOfCopy(name, sources))
    const diagnostics = [...attach(source), ...(edgeDiags.get(`router ${name}`) ?? [])]
    const answers = t?.error ? `${t.error.status} (${t.error.message})` : undefined
    routers.push({
      name,
      status: !t ? 'disabled' : t.error ? 'error' : statusOf(diagnostics),
      ...(source ? { source } : {}),
      diagnostics,
      rule: t?.rule ?? c?.rule ?? '',
      priority: t?.priority ?? c?.priority ?? null,
      entryPoints: t?.entryPoints ?? c?.entryPoints ?? [],
      tls: t ? t.tls : c?.tls !== undefined,
      ...(t?.tlsOptions ? { tlsOptions: t.tlsOptions } : {}),
      middlewares: t?.middlewares ?? c?.middlewares ?? [],
      service: t?.service ?? c?.service ?? '',
      ...(answers ? { answers } : {}),
    })
  }

  const services: ServiceRow[] = []
  for (const name of union(Object.keys(http.services ?? {}), Object.keys(table.services))) {
    const t = table.services[name]
    const source = sources.services.get(name)
    const diagnostics = [...attach(source), ...(edgeDiags.get(`service ${name}`) ?? [])]
    const servers = (endpoints.services[name]?.servers ?? []).map((s) => ({ url: s.url, up: s.up, weight: s.weight }))
    services.push({
      name,
      status: !t ? 'disabled' : t.kind === 'unservable' ? 'error' : statusOf(diagnostics),
      ...(source ? { source } : {}),
      diagnostics,
      kind: t?.kind ?? Object.keys(http.services?.[name] ?? {})[0] ?? 'unknown',
      servers,
      children: t ? childServices(t) : [],
    })
  }

  const middlewares: MiddlewareRow[] = []
  for (const name of union(Object.keys(http.middlewares ?? {}), Object.keys(table.middlewares))) {
    const c = http.middlewares?.[name] as Record<string, unknown> | undefined
    const t = table.middlewares[name]
    const source = sources.middlewares.get(name)
    const diagnostics = [...attach(source), ...(edgeDiags.get(`middleware ${name}`) ?? [])]
    const type = t?.type ?? Object.keys(c ?? {})[0] ?? 'unknown'
    // Routers answer 501 for middlewares the edge cannot run: the middleware says so too.
    const unrunnable = i.edge.diagnostics.some(
      (d) => d.kind === 'router' && d.field === 'middlewares' && d.message.includes('cannot run') && d.message.includes(name),
    )
    middlewares.push({
      name,
      status: unrunnable ? 'error' : statusOf(diagnostics),
      ...(source ? { source } : {}),
      diagnostics,
      type,
      config: redactMiddleware(type, t?.config ?? c?.[type] ?? null),
    })
  }

  const tlsOptions: TlsOptionRow[] = []
  const hostsOf = new Map<string, string[]>()
  for (const [ep, hosts] of Object.entries(table.tls?.hosts ?? {})) {
    for (const [host, options] of Object.entries(hosts)) hostsOf.set(options, [...(hostsOf.get(options) ?? []), `${ep || '*'} ${host}`])
  }
  for (const name of union(Object.keys(i.config.tls?.options ?? {}), Object.keys(table.tls?.options ?? {}))) {
    const source = sources.tlsOptions.get(name)
    const diagnostics = attach(source)
    tlsOptions.push({
      name,
      status: statusOf(diagnostics),
      ...(source ? { source } : {}),
      diagnostics,
      config: i.config.tls?.options?.[name] ?? table.tls?.options[name] ?? null,
      hosts: hostsOf.get(name) ?? [],
    })
  }

  return {
    generatedAt: now.toISOString(),
    files: i.loaded.files,
    entryPoints: i.options.entryPoints,
    target: i.options.target,
    published,
    routers,
    services,
    middlewares,
    tlsOptions,
    // As `npm run compile` prints them: the same words and places.
    problems: [...i.compileDiagnostics, ...uniqueDiagnostics(edgeLocated)].map((d) => ({
      severity: d.severity,
      text: formatDiagnostic(d),
      ...(d.source ? { location: d.source } : {}),
    })),
  }
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort()
}

/** For an object that is served: any diagnostic (even an error on one of its parts) is a warning. */
function statusOf(diagnostics: StateDiagnostic[]): Status {
  return diagnostics.length ? 'warning' : 'enabled'
}

/** Copies the table makes of a router (TLS conflicts) are named after it: `name-...`. */
function sourceOfCopy(name: string, sources: SourceIndex): SourceRef | undefined {
  for (const [key, ref] of sources.routers) if (name.startsWith(`${key}-`)) return ref
  return undefined
}

/** The edge's diagnostics per object of the table, with the object and line each comes from. */
function groupEdge(diags: EdgeDiagnostic[], located: Diagnostic[]): Map<string, StateDiagnostic[]> {
  const out = new Map<string, StateDiagnostic[]>()
  diags.forEach((d, n) => {
    const key = `${d.kind satisfies EdgeObjectKind} ${d.name}`
    const at = located[n]
    const where =
      at && at.kind !== d.kind
        ? { object: `${at.kind} ${at.namespace ? `${at.namespace}/` : ''}${at.name}`, ...(at.source ? { location: at.source } : {}) }
        : {}
    out.set(key, [...(out.get(key) ?? []), { severity: d.severity, stage: 'edge', field: d.field, message: d.message, ...where }])
  })
  return out
}

/** The compile diagnostics of a row's source object (of its own route, for IngressRoutes). */
function compileAttacher(diags: Diagnostic[]): (source: SourceRef | undefined) => StateDiagnostic[] {
  const byObject = new Map<string, Diagnostic[]>()
  for (const d of diags) {
    const key = `${d.kind} ${d.namespace}/${d.name}`
    byObject.set(key, [...(byObject.get(key) ?? []), d])
  }
  return (source) => {
    if (!source) return []
    const own = byObject.get(`${source.kind} ${source.namespace}/${source.name}`) ?? []
    return own
      .filter((d) => !source.field?.startsWith('spec.routes[') || !d.field.startsWith('spec.routes[') || d.field.startsWith(routePrefix(source.field)))
      .map((d) => ({
        severity: d.severity,
        stage: 'compile' as const,
        field: d.field,
        message: d.message,
        object: `${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name}`,
        ...(d.source ? { location: d.source } : {}),
      }))
  }
}

const routePrefix = (field: string): string => /^spec\.routes\[\d+\]/.exec(field)?.[0] ?? field
