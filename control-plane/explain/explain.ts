/**
 * Which router the edge picks for a request, and why. The choice is the edge's own: the request
 * goes through the same entry point headers (shared/http/forwarded.ts), SNI check
 * (shared/tls/sni-check.ts) and muxer (shared/muxer) as in the worker, over the prepared
 * published table. The why walks the same
 * routers in the index's order (shared/rules' compileRouters) and explains each rule that came
 * before the chosen one with shared/rules/explain.ts.
 *
 * @module
 */
import { entryPointHeaders } from '../../shared/http/forwarded.ts'
import { selectRouter, type RoutingRequest } from '../../shared/muxer/select-router.ts'
import { misdirected } from '../../shared/tls/sni-check.ts'
import { explainRule, type Clause } from '../../shared/rules/explain.ts'
import { canonicalHost, routingPath, type MatchRequest, type RuleNode } from '../../shared/rules/index.ts'
import { compileRouters, type CompiledRouter } from '../../shared/rules/routers.ts'
import { mergeTableParts } from '../../shared/table/split.ts'
import type { EdgeTable, TableRouter } from '../../shared/table/schema.ts'
import type { PreparedRouter, PreparedService, RoutingView } from '../../shared/table/view.ts'

export interface ExplainRequest {
  url: string
  method?: string
  /** Header lines in order; a `Host` header overrides the URL's authority, as for the edge. */
  headers?: Array<[string, string]>
  /** Default 127.0.0.1 (a local client of `npm run edge`). */
  clientIp?: string
  /** Default `web`, or `websecure` for an https URL. */
  entryPoint?: string
}

export interface RouterSummary {
  name: string
  rule: string
  priority: number
  entryPoints: string[]
  tls: boolean
}

export interface ChosenRouter extends RouterSummary {
  middlewares: Array<{ name: string; type: string }>
  service: ServiceSummary
  /** Set when the route answers an error instead of serving (a middleware the edge cannot run). */
  error?: { status: number; message: string }
}

export interface ServiceSummary {
  name: string
  kind: PreparedService['kind']
  middlewares: string[]
  /** Load balancers: server URLs (down ones marked). */
  servers?: string[]
  /** Weighted, mirroring, failover: the services it sends to. */
  children?: ServiceSummary[]
  /** Unservable: what it answers. */
  answers?: string
}

export interface Miss extends RouterSummary {
  /** The first clause that failed, then any other that failed with it (alternatives of `||`). */
  failed: Clause[]
}

export interface Explanation {
  request: { method: string; url: string; host: string; path: string; tls: boolean; entryPoint: string; clientIp: string }
  /** matched: a router serves it; 404: none matches; 400: bad path; 421: Host on other TLS options. */
  outcome: 'matched' | 'no-match' | 'bad-request' | 'misdirected'
  /** The status the edge answers itself, when it does (404, 400, 421, or the route's error). */
  status?: number
  /** Why, in one sentence. */
  summary: string
  router: ChosenRouter | null
  /** Routers tried before the chosen one (all of them when none matched), in the edge's order. */
  notMatched: Miss[]
  /** Routers whose rule matches but that do not serve this entry point or TLS-ness. */
  elsewhere: Array<RouterSummary & { reason: string }>
  /**
   * Routers tried before the chosen one that are limited to other hosts, when there are more than
   * OTHER_HOSTS_LISTED of them: counted here instead of listed in notMatched.
   */
  otherHosts: number
}

/** Up to this many routers of other hosts are listed one by one; more are only counted. */
export const OTHER_HOSTS_LISTED = 20

/** Explains a request against the published table (its stored parts) and the edge's view of it. */
export function explainRequest(parts: EdgeTable[], view: RoutingView, input: ExplainRequest): Explanation {
  const url = new URL(input.url)
  const tls = url.protocol === 'https:'
  const entryPoint = input.entryPoint ?? (tls ? 'websecure' : 'web')
  const clientIp = input.clientIp ?? '127.0.0.1'
  const method = (input.method ?? 'GET').toUpperCase()
  const incoming = new Headers()
  for (const [k, v] of input.headers ?? []) incoming.append(k, v)
  const host = incoming.get('host') ?? url.host
  const req: RoutingRequest = {
    method,
    host,
    path: url.pathname || '/',
    query: url.search.slice(1),
    headers: entryPointHeaders(incoming, { clientIp, tls, host, hostname: 'traefik-edge', trusted: false }),
    clientIp,
    tls,
    entryPoint,
  }
  const base = {
    request: { method, url: input.url, host: canonicalHost(host), path: req.path, tls, entryPoint, clientIp },
    notMatched: [],
    elsewhere: [],
    otherHosts: 0,
  }

  if (tls && view.tls) {
    const why = misdirected(view.tls, entryPoint, host, { options: 'default' })
    if (why !== null) return { ...base, outcome: 'misdirected', status: 421, summary: `421 Misdirected Request: ${why}`, router: null }
  }
  const selected = selectRouter(view, req)
  if ('status' in selected && selected.status === 400) {
    return { ...base, outcome: 'bad-request', status: 400, summary: '400 Bad Request: the path has a malformed %-escape', router: null }
  }
  const chosen = 'router' in selected ? selected.router : null
  const match: MatchRequest = {
    host: canonicalHost(host),
    method,
    path: routingPath(req.path),
    headers: req.headers,
    query: new URLSearchParams(req.query),
    clientIp,
  }
  const { notMatched, elsewhere, otherHosts } = walk(ordered(parts), match, entryPoint, tls, chosen?.name)
  if (!chosen) {
    return { ...base, notMatched, elsewhere, otherHosts, outcome: 'no-match', status: 404, summary: 'no router matched -> 404 page not found', router: null }
  }
  const router = describeRouter(chosen, parts)
  return {
    ...base,
    notMatched,
    elsewhere,
    otherHosts,
    outcome: 'matched',
    ...(router.error ? { status: router.error.status } : {}),
    summary: router.error
      ? `router ${router.name} matched but answers ${router.error.status}: ${router.error.message}`
      : `router ${router.name} matched -> service ${router.service.name}`,
    router,
  }
}

/** The routers before `chosen` in the edge's order, each with the clause that failed. */
/** The routers of a published table in the index's order, compiled once per table (keyed by its `rest` part). */
const orderedOf = new WeakMap<object, Array<CompiledRouter<TableRouter>>>()

function ordered(parts: EdgeTable[]): Array<CompiledRouter<TableRouter>> {
  const key = parts[0] ?? {}
  let list = orderedOf.get(key)
  if (!list) {
    const table = mergeTableParts(parts)
    list = compileRouters(
      Object.entries(table.routers).map(([name, r]) => ({ name, rule: r.tree as RuleNode, ruleText: r.rule, priority: r.priority, value: r })),
    )
    orderedOf.set(key, list)
  }
  return list
}

function walk(ordered: Array<CompiledRouter<TableRouter>>, req: MatchRequest, entryPoint: string, tls: boolean, chosen: string | undefined) {
  const notMatched: Miss[] = []
  const elsewhere: Explanation['elsewhere'] = []
  // Routers limited to exact hosts other than the request's (the index never tries them), kept
  // apart so that a table of thousands of hosts does not bury the routers that matter.
  const host = req.host.endsWith('.') ? req.host.slice(0, -1) : req.host
  const otherHost: Miss[] = []
  let others = 0
  for (const r of ordered) {
    if (r.name === chosen) break
    const spec = r.value
    const summary = { name: r.name, rule: spec.rule, priority: r.priority, entryPoints: spec.entryPoints, tls: spec.tls }
    const onEntryPoint = spec.entryPoints.length === 0 || spec.entryPoints.includes(entryPoint)
    if (!onEntryPoint || spec.tls !== tls) {
      if (r.test(req)) {
        const reason = !onEntryPoint
          ? `serves entry points ${spec.entryPoints.join(', ')}, not ${entryPoint}`
          : spec.tls
            ? 'serves TLS requests only (an https URL)'
            : 'serves plain HTTP only (it has no tls section)'
        elsewhere.push({ ...summary, reason })
      }
      continue
    }
    if (spec.hosts !== null && spec.hosts.length > 0 && !spec.hosts.includes(host)) {
      if (++others <= OTHER_HOSTS_LISTED) otherHost.push({ ...summary, failed: explainRule(r.tree, spec.rule, req).failed })
      continue
    }
    notMatched.push({ ...summary, failed: explainRule(r.tree, spec.rule, req).failed })
  }
  if (others <= OTHER_HOSTS_LISTED) {
    // Few enough to list: back in the edge's order among the others.
    const order = new Map(ordered.map((r, i) => [r.name, i]))
    return { notMatched: [...notMatched, ...otherHost].sort((a, b) => order.get(a.name)! - order.get(b.name)!), elsewhere, otherHosts: 0 }
  }
  return { notMatched, elsewhere, otherHosts: others }
}

function describeRouter(r: PreparedRouter, parts: EdgeTable[]): ChosenRouter {
  const spec = parts.map((p) => p.routers[r.name]).find((x) => x !== undefined)
  return {
    name: r.name,
    rule: r.rule,
    priority: r.priority,
    entryPoints: spec?.entryPoints ?? [],
    tls: r.tls,
    middlewares: r.middlewares.map((m) => ({ name: m.name, type: m.type })),
    service: describeService(r.service),
    ...(r.error ? { error: r.error } : {}),
  }
}

function describeService(s: PreparedService): ServiceSummary {
  const base = { name: s.name, kind: s.kind, middlewares: s.middlewares.map((m) => m.name) }
  switch (s.kind) {
    case 'loadBalancer':
      return { ...base, servers: s.servers.map((x) => (x.up ? x.url : `${x.url} (down)`)) }
    case 'weighted':
      return { ...base, children: s.children.map((c) => describeService(c.service)) }
    case 'mirroring':
      return { ...base, children: [describeService(s.main), ...s.mirrors.map((m) => describeService(m.service))] }
    case 'failover':
      return { ...base, children: [describeService(s.main), describeService(s.fallback)] }
    case 'unservable':
      return { ...base, answers: `${s.status} ${s.message}` }
    case 'internal':
      return { ...base, answers: `Traefik's ${s.service}@internal service (served by the edge)` }
  }
}

/** Human-readable text: the chosen router's name and rule on the first line. */
export function formatExplanation(e: Explanation): string {
  const lines: string[] = []
  const r = e.router
  lines.push(r ? `router: ${r.name}  rule: ${r.rule}` : `router: (none)  ${e.summary}`)
  const q = e.request
  lines.push(
    `request: ${q.method} ${q.url} (host ${JSON.stringify(q.host)}, path ${JSON.stringify(q.path)}, entry point ${q.entryPoint}${q.tls ? ', TLS' : ''}, client ${q.clientIp})`,
  )
  if (r) {
    lines.push(`priority: ${r.priority}${r.entryPoints.length ? `  entry points: ${r.entryPoints.join(', ')}` : ''}${r.tls ? '  tls' : ''}`)
    lines.push(`middlewares: ${r.middlewares.length ? r.middlewares.map((m) => `${m.name} (${m.type})`).join(' -> ') : '(none)'}`)
    lines.push(`service: ${formatService(r.service)}`)
    if (r.error) lines.push(`answers: ${r.error.status} (${r.error.message})`)
  }
  lines.push(`outcome: ${e.summary}`)
  if (e.notMatched.length || e.otherHosts) {
    lines.push('', r ? 'higher-priority routers that did not match:' : 'routers that did not match:')
    for (const m of e.notMatched) {
      const [first, ...others] = m.failed
      lines.push(`  ${m.name} (priority ${m.priority}) rule: ${m.rule}`)
      if (first) lines.push(`    failed: ${first.text} at ${first.start}: ${first.observed}`)
      for (const o of others) lines.push(`    and:    ${o.text} at ${o.start}: ${o.observed}`)
    }
  }
  if (e.otherHosts) lines.push(`  (and ${e.otherHosts} routers limited to other hosts)`)
  if (e.elsewhere.length) {
    lines.push('', 'routers whose rule matches but that do not serve this request:')
    for (const x of e.elsewhere) lines.push(`  ${x.name} (priority ${x.priority}) rule: ${x.rule}: ${x.reason}`)
  }
  return `${lines.join('\n')}\n`
}

function formatService(s: ServiceSummary): string {
  const mw = s.middlewares.length ? ` [middlewares ${s.middlewares.join(', ')}]` : ''
  if (s.servers) return `${s.name} (loadBalancer: ${s.servers.length ? s.servers.join(', ') : 'no servers'})${mw}`
  if (s.children) return `${s.name} (${s.kind}: ${s.children.map(formatService).join('; ')})${mw}`
  return `${s.name} (${s.kind}${s.answers ? `: answers ${s.answers}` : ''})${mw}`
}
