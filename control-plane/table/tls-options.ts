/**
 * TLS options per host, as Traefik's aggregator resolves them before routers are built
 * (Traefik's pkg/server/aggregator.go and
 * pkg/server/router/router.go: a host whose routers name different TLS options gets the default), and the host -> options map its SNI check uses
 * (421 Misdirected Request when the Host's options are not the connection's).
 *
 * Per entry point, a host served by TLS routers that resolve to different options puts every one
 * of those routers in conflict there, and so does a router with non-default options and no Host
 * in its rule. A router in conflict loses that entry point; a copy named
 * `<ep>-conflicted-<router>` serves it with the default options.
 *
 * @module
 */
import type { DynamicConfig, Router, TLSOptions } from '../../shared/dynamic/types.ts'
import { parseRule, ruleDomains } from '../../shared/rules/index.ts'
import { DEFAULT_TLS_OPTIONS, type TableTls, type TableTlsOptions } from '../../shared/table/schema.ts'
import type { EdgeDiagnostics } from './diagnostics.ts'
import { localKey } from './references.ts'

type Routers = Record<string, Router>

export interface ResolvedTls {
  /** The routers after conflict resolution (conflicted copies added, entry points removed). */
  routers: Routers
  /** Router -> the name of the options it is served with (TLS routers only). */
  optionsOf: Map<string, string>
}

/** The options name a TLS router resolves to (Traefik: empty or `default` is `default`). */
export function routerOptionsName(router: Router): string {
  const name = router.tls?.options ?? ''
  if (name === '' || name === DEFAULT_TLS_OPTIONS) return DEFAULT_TLS_OPTIONS
  return localKey(name) ?? name
}

/**
 * Traefik's conflict rule. `entryPoints` are those the edge serves: a router without entry points
 * is on each of them (Traefik's default entry points). Without them, such routers are checked as
 * if on one entry point shared by all.
 */
export function resolveTlsConflicts(routers: Routers, entryPoints: string[] | undefined, d: EdgeDiagnostics): ResolvedTls {
  // Copied only when a conflict adds or removes routers: at 10k routers the copy is most of the cost.
  let out: Routers = routers
  const optionsOf = new Map<string, string>()
  const domainsOf = new Map<string, string[]>()
  // entry point -> host -> option -> routers
  const byEp = new Map<string, Map<string, Map<string, string[]>>>()
  const hostless = new Map<string, string[]>()

  const epsOf = (r: Router): string[] => (r.entryPoints?.length ? r.entryPoints : (entryPoints ?? ['']))
  for (const [name, router] of Object.entries(routers)) {
    if (!router.tls) continue
    const option = routerOptionsName(router)
    optionsOf.set(name, option)
    const domains = domainsOfRule(router.rule)
    domainsOf.set(name, domains)
    for (const ep of epsOf(router)) {
      if (domains.length === 0) {
        if (option !== DEFAULT_TLS_OPTIONS) hostless.set(ep, [...(hostless.get(ep) ?? []), name])
        continue
      }
      let hosts = byEp.get(ep)
      if (!hosts) byEp.set(ep, (hosts = new Map()))
      for (const host of domains) {
        let options = hosts.get(host)
        if (!options) hosts.set(host, (options = new Map()))
        options.set(option, [...(options.get(option) ?? []), name])
      }
    }
  }

  // entry point -> routers in conflict there
  const conflicts = new Map<string, Set<string>>()
  const mark = (ep: string, name: string, why: string) => {
    let set = conflicts.get(ep)
    if (!set) conflicts.set(ep, (set = new Set()))
    if (set.has(name)) return
    set.add(name)
    const where = ep === '' ? '' : ` on entry point ${ep}`
    d.error('router', name, 'tls.options', `${why}${where}: served there with the default TLS options instead (Traefik's conflict rule)`)
  }
  // Sorted, so a router in conflict on several hosts is reported for the same host whatever the
  // order the routers come in (the incremental pipeline rebuilds one router at a time).
  for (const ep of [...byEp.keys()].sort()) {
    const hosts = byEp.get(ep)!
    for (const host of [...hosts.keys()].sort()) {
      const options = hosts.get(host)!
      if (options.size < 2) continue
      const names = [...options.keys()].sort().join(', ')
      for (const routerNames of options.values()) for (const r of routerNames) mark(ep, r, `host ${host} is served with different TLS options (${names})`)
    }
  }
  for (const ep of [...hostless.keys()].sort()) for (const r of hostless.get(ep)!) mark(ep, r, `TLS options ${optionsOf.get(r)} on a rule without Host`)

  if (conflicts.size > 0) out = { ...routers }
  const conflictsOf = new Map<string, string[]>()
  for (const [ep, names] of conflicts) for (const name of names) conflictsOf.set(name, [...(conflictsOf.get(name) ?? []), ep])
  for (const [name, eps] of conflictsOf) {
    for (const [copyName, copy] of conflictedRouters(name, routers[name]!, eps, epsOf)) {
      if (copy === null) delete out[copyName]
      else out[copyName] = copy
      if (copyName !== name) {
        optionsOf.set(copyName, DEFAULT_TLS_OPTIONS)
        domainsOf.set(copyName, domainsOf.get(name) ?? [])
      }
    }
  }
  for (const name of optionsOf.keys()) if (!out[name]) optionsOf.delete(name)
  return { routers: out, optionsOf }
}

/**
 * A router in conflict on `eps`: a copy with the default options for each of them (named
 * `<ep>-conflicted-<router>`, or `conflicted-<router>` for the shared entry point ''), and the
 * router itself on the entry points left (null: on none, it goes).
 */
export function conflictedRouters(name: string, router: Router, eps: readonly string[], epsOf: (r: Router) => string[]): Array<[string, Router | null]> {
  const out: Array<[string, Router | null]> = []
  for (const ep of eps) {
    const copyName = ep === '' ? `conflicted-${name}` : `${ep}-conflicted-${name}`
    out.push([copyName, { ...router, entryPoints: ep === '' ? router.entryPoints : [ep], tls: { ...router.tls, options: DEFAULT_TLS_OPTIONS } }])
  }
  const remaining = eps.includes('') ? [] : epsOf(router).filter((e) => !eps.includes(e))
  out.push([name, remaining.length === 0 ? null : { ...router, entryPoints: remaining }])
  return out
}

/** Traefik's ParseDomains on a rule; a rule that does not parse has none (the router is refused later). */
export function domainsOfRule(rule: string): string[] {
  try {
    return [...new Set(ruleDomains(parseRule(rule)))]
  } catch {
    return []
  }
}

/**
 * The table's TLS section: the options routers use (the `default` ones always present, Traefik's
 * minVersion TLS 1.2 when none is configured) and, per entry point, the hosts whose options are
 * not the default ones.
 */
export function tableTls(
  config: DynamicConfig,
  resolved: ResolvedTls,
  served: Record<string, { entryPoints: string[] }>,
  entryPoints: string[] | undefined,
): TableTls {
  const configured = config.tls?.options ?? {}
  const used = new Set<string>()
  const hosts = new Map<string, Map<string, string>>()
  for (const [name, option] of resolved.optionsOf) {
    const router = served[name]
    if (!router || option === DEFAULT_TLS_OPTIONS) continue
    if (configured[option]) used.add(option)
    for (const ep of router.entryPoints.length ? router.entryPoints : (entryPoints ?? [''])) {
      let map = hosts.get(ep)
      if (!map) hosts.set(ep, (map = new Map()))
      for (const host of domainsOfRule(resolved.routers[name]!.rule)) map.set(host, option)
    }
  }
  return sortedTableTls(configured, used, hosts)
}

/**
 * The TLS section with its maps in sorted order (`default` first), so that it does not depend on
 * the order routers were built in.
 */
export function sortedTableTls(
  configured: Record<string, TLSOptions>,
  used: Iterable<string>,
  hosts: ReadonlyMap<string, ReadonlyMap<string, string>>,
): TableTls {
  const options: Record<string, TableTlsOptions> = {
    [DEFAULT_TLS_OPTIONS]: tableOptions(configured[DEFAULT_TLS_OPTIONS] ?? { minVersion: 'VersionTLS12' }),
  }
  for (const name of [...used].sort()) if (name !== DEFAULT_TLS_OPTIONS && configured[name]) options[name] = tableOptions(configured[name])
  const out: Record<string, Record<string, string>> = {}
  for (const ep of [...hosts.keys()].sort()) {
    const map = hosts.get(ep)!
    if (map.size === 0) continue
    const sorted: Record<string, string> = {}
    for (const host of [...map.keys()].sort()) sorted[host] = map.get(host)!
    out[ep] = sorted
  }
  return { options, hosts: out }
}

function tableOptions(o: TLSOptions): TableTlsOptions {
  const out: TableTlsOptions = {}
  if (o.minVersion) out.minVersion = o.minVersion
  if (o.maxVersion) out.maxVersion = o.maxVersion
  if (o.cipherSuites?.length) out.cipherSuites = o.cipherSuites
  if (o.clientAuth?.clientAuthType) out.clientAuthType = o.clientAuth.clientAuthType
  if (o.sniStrict) out.sniStrict = true
  return out
}
