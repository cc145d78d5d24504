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
  for (const [ep, hosts] of byEp) {
    for (const [host, options] of hosts) {
      if (options.size < 2) continue
      const names = [...options.keys()].sort().join(', ')
      for (const routerNames of options.values()) for (const r of routerNames) mark(ep, r, `host ${host} is served with different TLS options (${names})`)
    }
  }
  for (const [ep, names] of hostless) for (const r of names) mark(ep, r, `TLS options ${optionsOf.get(r)} on a rule without Host`)

  if (conflicts.size > 0) out = { ...routers }
  for (const [ep, names] of conflicts) {
    for (const name of names) {
      const router = out[name]!
      const copyName = ep === '' ? `conflicted-${name}` : `${ep}-conflicted-${name}`
      out[copyName] = { ...router, entryPoints: ep === '' ? router.entryPoints : [ep], tls: { ...router.tls, options: DEFAULT_TLS_OPTIONS } }
      optionsOf.set(copyName, DEFAULT_TLS_OPTIONS)
      domainsOf.set(copyName, domainsOf.get(name) ?? [])
      if (ep === '') {
        delete out[name]
        continue
      }
      const remaining = epsOf(router).filter((e) => e !== ep && !(conflicts.get(e)?.has(name) ?? false))
      if (remaining.length === 0) delete out[name]
      else out[name] = { ...router, entryPoints: remaining }
    }
  }
  for (const name of optionsOf.keys()) if (!out[name]) optionsOf.delete(name)
  return { routers: out, optionsOf }
}

/** Traefik's ParseDomains on a rule; a rule that does not parse has none (the router is refused later). */
function domainsOfRule(rule: string): string[] {
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
  const options: Record<string, TableTlsOptions> = {
    [DEFAULT_TLS_OPTIONS]: tableOptions(configured[DEFAULT_TLS_OPTIONS] ?? { minVersion: 'VersionTLS12' }),
  }
  const hosts: Record<string, Record<string, string>> = {}
  for (const [name, option] of resolved.optionsOf) {
    const router = served[name]
    if (!router) continue
    if (option !== DEFAULT_TLS_OPTIONS && configured[option]) options[option] ??= tableOptions(configured[option])
    if (option === DEFAULT_TLS_OPTIONS) continue
    for (const ep of router.entryPoints.length ? router.entryPoints : (entryPoints ?? [''])) {
      const map = (hosts[ep] ??= {})
      for (const host of domainsOfRule(resolved.routers[name]!.rule)) map[host] = option
    }
  }
  return { options, hosts }
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
