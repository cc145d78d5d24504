/**
 * The edge table (control-plane/table's buildEdgeTable), kept across changes: one entry per
 * router, service, middleware and transport, each rebuilt by buildEdgeTable's own per-entry code
 * when something it read changed, and nothing else. What each entry read is known from the
 * configuration itself (a router's service, a service's children and transport) or recorded as it
 * is built (the middlewares an expansion went through), and indexed backwards: a changed
 * middleware finds the routers and services that expanded it, a service whose servability
 * changed finds its parents and its routers.
 *
 * TLS conflicts (Traefik's rule: a host served with different TLS options on one entry point) are
 * kept per entry point and host, so a TLS router's change looks at the routers of its own hosts.
 *
 * @module
 */
import type { HTTPConfiguration, Router, Service } from '../../../shared/dynamic/types.ts'
import {
  DEFAULT_TLS_OPTIONS,
  TABLE_SCHEMA_VERSION,
  type EdgeTable,
  type ServiceEndpoints,
  type TableMiddleware,
  type TableRouter,
  type TableService,
  type TableTls,
  type TableTransport,
} from '../../../shared/table/schema.ts'
import type { ConfigUnderConstruction } from '../../compiler/context.ts'
import { buildRouter, middlewareProblems, withServiceMiddlewares, type EdgeTableOptions } from '../../table/build-edge-table.ts'
import { EdgeDiagnostics, type EdgeDiagnostic } from '../../table/diagnostics.ts'
import { sameValue } from '../../table/intern.ts'
import { KeyedLists } from './keyed-lists.ts'
import { MiddlewareCompiler } from '../../table/middlewares.ts'
import { localKey } from '../../table/references.ts'
import { ServiceCompiler, serviceChildren, servicesOnCycles } from '../../table/services.ts'
import { conflictedRouters, domainsOfRule, routerOptionsName, sortedTableTls } from '../../table/tls-options.ts'
import type { ConfigDelta } from './compile-state.ts'

/** What a batch changed in the table, by name. */
export interface TableDelta {
  /** Table routers whose value changed, with the value before (undefined: new). */
  routers: Map<string, TableRouter | undefined>
  services: Set<string>
  middlewares: Set<string>
  transports: Set<string>
  endpoints: Set<string>
  tls: boolean
}

// One record per router and per service, what the indexes need included (there are 100k of each).
interface RouterRecord {
  /** Names this config router has in the table (itself, TLS-conflict copies), built or not. */
  outputs: string[]
  /** Middlewares its expansions put in the table. */
  touched: string[]
  /** Middlewares its expansions looked up (found or not): what they depend on. */
  read: string[]
  /** Its service's key, and its TLS options' name (TLS routers): what it is indexed by. */
  service: string | null
  tlsOption: string | null
}

interface ServiceRecord {
  /** Compiled (undefined: not yet: only linked). */
  ok?: boolean
  touched: string[]
  read: string[]
  transport: string | null
  /** The services it delegates to, and the transport it names: what it is indexed by. */
  children: string[]
  names: string | null
}

interface TlsInfo {
  option: string
  domains: string[]
  eps: string[]
}

export class TableState {
  /** The table (without its TLS section: `tls`), maps updated in place. */
  readonly table: EdgeTable
  readonly endpoints: Record<string, ServiceEndpoints> = {}
  /** The TLS section, or undefined when no router has TLS. */
  tls: TableTls | undefined
  readonly #o: EdgeTableOptions
  readonly #routers = new Map<string, RouterRecord>()
  readonly #services = new Map<string, ServiceRecord>()
  /** Diagnostics by entry (`r`outer, `s`ervice, `m`iddleware, `t`ransport + name), the non-empty ones. */
  readonly #diagnostics = new KeyedLists<EdgeDiagnostic>()
  readonly #routersOfService = new Map<string, Set<string>>()
  readonly #routersOfTlsOption = new Map<string, Set<string>>()
  readonly #parents = new Map<string, Set<string>>()
  readonly #servicesOfTransport = new Map<string, Set<string>>()
  readonly #composite = new Set<string>()
  #cycles = new Set<string>()
  /** Middleware -> `r<router>` / `s<service>` whose expansion put it in the table. */
  readonly #touchers = new Map<string, Set<string>>()
  /** Middleware -> `r<router>` / `s<service>` whose expansion looked it up. */
  readonly #readers = new Map<string, Set<string>>()
  readonly #pageUsers = new Map<string, Set<string>>()
  readonly #transportUses = new Map<string, number>()
  readonly #conflicts: TlsConflicts
  /** Served TLS routers on options other than the default: option, entry points, hosts. */
  readonly #tlsServed = new Map<string, { option: string; eps: string[]; hosts: string[] }>()
  #tlsRouters = 0
  readonly #endpointLists = new Map<string, ServiceEndpoints>()

  constructor(options: EdgeTableOptions) {
    this.#o = options
    this.table = { schema: TABLE_SCHEMA_VERSION, target: options.target, routers: {}, middlewares: {}, services: {}, transports: {} }
    this.#conflicts = new TlsConflicts((r) => (r.entryPoints?.length ? r.entryPoints : (options.entryPoints ?? [''])))
  }

  /** Every diagnostic of the table, grouped by entry. */
  diagnostics(): EdgeDiagnostic[] {
    return this.#diagnostics.all()
  }

  /**
   * One object for equal server lists: the routes of one Service's port have one load balancer
   * each (Traefik names it per router) but the same servers. Bounded like the compile state's.
   */
  #shared(eps: ServiceEndpoints | undefined): ServiceEndpoints | undefined {
    if (eps === undefined) return undefined
    const k = JSON.stringify(eps)
    const found = this.#endpointLists.get(k)
    if (found !== undefined) return found
    if (this.#endpointLists.size >= 10_000) this.#endpointLists.clear()
    this.#endpointLists.set(k, eps)
    return eps
  }

  /** The services whose load balancer names this transport. */
  servicesUsing(transport: string): ReadonlySet<string> {
    return this.#servicesOfTransport.get(transport) ?? new Set()
  }

  apply(config: ConfigUnderConstruction, delta: ConfigDelta): TableDelta {
    const http = config.http as Required<HTTPConfiguration>
    const out: TableDelta = { routers: new Map(), services: new Set(), middlewares: new Set(), transports: new Set(), endpoints: new Set(), tls: false }
    const dirtyRouters = new Set(delta.routers)
    const dirtyServices = new Set(delta.services)
    const dirtyMiddlewares = new Set(delta.middlewares)

    // What each changed service references, indexed backwards.
    let compositeChanged = false
    for (const key of delta.services) {
      const before = this.#services.get(key)
      const svc = http.services[key]
      const children = svc ? serviceChildren(svc) : NONE
      const now = svc ? { children: children.length === 0 ? NONE : children, names: transportOf(svc) } : undefined
      for (const c of before?.children ?? NONE) this.#parents.get(c)?.delete(key)
      if (before?.names) this.#servicesOfTransport.get(before.names)?.delete(key)
      for (const c of now?.children ?? NONE) addTo(this.#parents, c, key)
      if (now?.names) addTo(this.#servicesOfTransport, now.names, key)
      if (now) this.#services.set(key, { ...(before ?? { touched: NONE, read: NONE, transport: null }), ...now })
      if ((before?.children.length ?? 0) > 0 || (now?.children.length ?? 0) > 0) compositeChanged = true
      if (now && now.children.length > 0) this.#composite.add(key)
      else this.#composite.delete(key)
    }
    if (compositeChanged) {
      const cycles = servicesOnCycles(http.services, this.#composite)
      for (const k of cycles) if (!this.#cycles.has(k)) dirtyServices.add(k)
      for (const k of this.#cycles) if (!cycles.has(k)) dirtyServices.add(k)
      this.#cycles = cycles
    }
    for (const tk of delta.serversTransports) for (const s of this.#servicesOfTransport.get(tk) ?? []) dirtyServices.add(s)
    for (const m of delta.middlewares) {
      for (const t of this.#readers.get(m) ?? []) (t[0] === 'r' ? dirtyRouters : dirtyServices).add(t.slice(1))
    }
    if (delta.tlsOptions) {
      for (const set of this.#routersOfTlsOption.values()) for (const r of set) dirtyRouters.add(r)
      out.tls = true
    }
    // Routers: their service, their TLS options and conflicts.
    for (const name of delta.routers) {
      const router = http.routers[name]
      const before = this.#routers.get(name)
      if (before?.service) this.#routersOfService.get(before.service)?.delete(name)
      if (before?.tlsOption) this.#routersOfTlsOption.get(before.tlsOption)?.delete(name)
      const links = { service: router?.service ? localKey(router.service) : null, tlsOption: router?.tls ? routerOptionsName(router) : null }
      if (links.service) addTo(this.#routersOfService, links.service, name)
      if (links.tlsOption) addTo(this.#routersOfTlsOption, links.tlsOption, name)
      if (router) this.#routers.set(name, { ...(before ?? { outputs: NONE, touched: NONE, read: NONE }), ...links })
      if (((before?.tlsOption ?? null) !== null) !== (links.tlsOption !== null)) {
        this.#tlsRouters += links.tlsOption !== null ? 1 : -1
        out.tls = true
      }
      for (const r of this.#conflicts.update(name, router?.tls ? router : undefined)) dirtyRouters.add(r)
    }

    const d = new EdgeDiagnostics()
    const services = new ServiceCompiler(http, this.#o.target, d, this.#o.tunnel, this.#cycles)
    const touchedNow = new Map<string, TableMiddleware>()

    // Services, and the parents of those whose servability changed.
    const statusChanged = new Set<string>()
    const recompiled = new Set<string>()
    const queue = [...dirtyServices]
    while (queue.length > 0) {
      const key = queue.pop()!
      if (recompiled.has(key)) continue
      recompiled.add(key)
      const before = this.#services.get(key)
      const svc = http.services[key]
      if (svc === undefined) {
        if (before === undefined) continue
        this.#services.delete(key)
        this.#diagnostics.set(`s${key}`, [])
        this.#setTouched(`s${key}`, before.touched, [], dirtyMiddlewares)
        this.#setRead(`s${key}`, before.read, [])
        this.#useTransport(before.transport, null)
        if (this.table.services[key] !== undefined) {
          delete this.table.services[key]
          out.services.add(key)
        }
        if (this.endpoints[key] !== undefined) {
          delete this.endpoints[key]
          out.endpoints.add(key)
        }
        if (before.ok !== undefined) statusChanged.add(key)
        for (const p of this.#parents.get(key) ?? []) queue.push(p)
        continue
      }
      const ok = services.resolve(key) !== null
      let value = services.out.services[key]
      let touched: string[] = NONE
      let read: string[] = NONE
      const refs = services.out.serviceMiddlewares.get(key)
      if (value !== undefined && refs !== undefined) {
        const mc = new MiddlewareCompiler(http.middlewares, this.#o.target)
        value = withServiceMiddlewares(key, value, refs, mc, d)
        touched = Object.keys(mc.middlewares)
        read = [...mc.read]
        if (touched.length === 0) touched = NONE
        if (read.length === 0) read = NONE
        for (const [k, mw] of Object.entries(mc.middlewares)) touchedNow.set(k, mw)
      }
      const transport = touchesTransport(svc, http)
      this.#services.set(key, { ...before!, ok, touched, read, transport })
      this.#setTouched(`s${key}`, before?.touched ?? [], touched, dirtyMiddlewares)
      this.#setRead(`s${key}`, before?.read ?? [], read)
      this.#useTransport(before?.transport ?? null, transport)
      if (keepOrSet(this.table.services, key, value)) out.services.add(key)
      if (keepOrSet(this.endpoints, key, this.#shared(services.out.endpoints[key]))) out.endpoints.add(key)
      if (before?.ok !== ok) {
        statusChanged.add(key)
        for (const p of this.#parents.get(key) ?? []) queue.push(p)
      }
    }
    for (const key of statusChanged) {
      for (const r of this.#routersOfService.get(key) ?? []) dirtyRouters.add(r)
      for (const m of this.#pageUsers.get(key) ?? []) dirtyMiddlewares.add(m)
    }

    // Routers.
    for (const name of dirtyRouters) {
      const before = this.#routers.get(name)
      const router = http.routers[name]
      const outputs: Array<[string, Router | null, string | undefined]> = []
      if (router === undefined && before?.tlsOption) this.#routersOfTlsOption.get(before.tlsOption)?.delete(name)
      if (router !== undefined) {
        const eps = this.#conflicts.conflictsOf(name)
        if (router.tls && eps.size > 0) {
          for (const [n, r] of conflictedRouters(name, router, [...eps.keys()], (x) => this.#conflicts.epsOf(x))) {
            outputs.push([n, r, n === name ? routerOptionsName(router) : DEFAULT_TLS_OPTIONS])
          }
          for (const [ep, why] of [...eps].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
            const where = ep === '' ? '' : ` on entry point ${ep}`
            d.error('router', name, 'tls.options', `${why}${where}: served there with the default TLS options instead (Traefik's conflict rule)`)
          }
        } else {
          outputs.push([name, router, router.tls ? routerOptionsName(router) : undefined])
        }
      }
      const names = new Set(outputs.map(([n]) => n))
      for (const n of before?.outputs ?? []) {
        if (names.has(n)) continue
        this.#setTlsServed(n, undefined, out)
        if (this.table.routers[n] !== undefined) {
          out.routers.set(n, this.table.routers[n])
          delete this.table.routers[n]
        }
      }
      const touched = new Set<string>()
      const read = new Set<string>()
      for (const [n, r, option] of outputs) {
        let built: TableRouter | null = null
        if (r !== null) {
          const mc = new MiddlewareCompiler(http.middlewares, this.#o.target)
          const optionsOf = new Map<string, string>()
          if (option !== undefined) optionsOf.set(n, option)
          try {
            built = buildRouter(n, r, services, mc, this.#o, d, { routers: { [n]: r }, optionsOf }, { tls: { options: config.tls.options } })
          } catch (err) {
            d.error('router', n, '', `not served: ${(err as Error).message}`)
          }
          for (const [k, mw] of Object.entries(mc.middlewares)) {
            touched.add(k)
            touchedNow.set(k, mw)
          }
          for (const k of mc.read) read.add(k)
        }
        const previous = this.table.routers[n]
        if (keepOrSet(this.table.routers, n, built ?? undefined)) out.routers.set(n, previous)
        this.#setTlsServed(
          n,
          built && option !== undefined && option !== DEFAULT_TLS_OPTIONS && r
            ? { option, eps: built.entryPoints.length ? built.entryPoints : (this.#o.entryPoints ?? ['']), hosts: domainsOfRule(r.rule) }
            : undefined,
          out,
        )
      }
      if (router === undefined) this.#routers.delete(name)
      else
        this.#routers.set(name, {
          ...before!,
          outputs: outputs.map(([n]) => n),
          touched: touched.size === 0 ? NONE : [...touched],
          read: read.size === 0 ? NONE : [...read],
        })
      this.#setTouched(`r${name}`, before?.touched ?? [], [...touched], dirtyMiddlewares)
      this.#setRead(`r${name}`, before?.read ?? [], [...read])
    }

    // Middlewares in use: their table entry and what the edge cannot do with them.
    for (const key of dirtyMiddlewares) {
      const page = this.#pageOf(key)
      if (page !== undefined) this.#pageUsers.get(page)?.delete(key)
      if (!this.#touchers.get(key)?.size) {
        if (this.table.middlewares[key] !== undefined) {
          delete this.table.middlewares[key]
          out.middlewares.add(key)
        }
        this.#diagnostics.set(`m${key}`, [])
        continue
      }
      const value = touchedNow.get(key) ?? this.#entryOf(http, key)
      if (value === undefined) continue
      if (keepOrSet(this.table.middlewares, key, value)) out.middlewares.add(key)
      const mw = this.table.middlewares[key]!
      const own = new EdgeDiagnostics()
      middlewareProblems(key, mw, services, this.#o.target, own)
      this.#diagnostics.set(`m${key}`, own.items)
      const newPage = this.#pageOf(key)
      if (newPage !== undefined) addTo(this.#pageUsers, newPage, key)
    }

    // Transports in use.
    for (const [tk, st] of Object.entries(services.out.transports)) {
      if (!this.#transportUses.get(tk)) continue
      if (keepOrSet(this.table.transports, tk, st)) out.transports.add(tk)
    }
    for (const tk of Object.keys(this.table.transports)) {
      if (this.#transportUses.get(tk)) continue
      delete this.table.transports[tk]
      this.#diagnostics.set(`t${tk}`, [])
      out.transports.add(tk)
    }

    // Diagnostics, to the entries they are about (service ones come once per batch compile).
    const byEntry = new Map<string, EdgeDiagnostic[]>()
    for (const item of d.items) {
      const k = `${item.kind}\u0000${item.name}`
      byEntry.set(k, [...(byEntry.get(k) ?? []), item])
    }
    const entry = (kind: string, name: string) => byEntry.get(`${kind}\u0000${name}`) ?? []
    for (const key of recompiled) if (this.#services.has(key)) this.#diagnostics.set(`s${key}`, entry('service', key))
    for (const name of dirtyRouters) this.#diagnostics.set(`r${name}`, this.#routers.get(name)?.outputs.flatMap((n) => entry('router', n)) ?? [])
    for (const tk of Object.keys(services.out.transports)) if (this.#transportUses.get(tk)) this.#diagnostics.set(`t${tk}`, entry('serversTransport', tk))

    out.tls = out.tls && this.#updateTls(config)
    return out
  }

  #pageOf(key: string): string | undefined {
    const mw = this.table.middlewares[key]
    if (mw?.type !== 'errors') return undefined
    const ref = (mw.config as { service?: unknown } | null)?.service
    return typeof ref === 'string' && ref !== '' ? (localKey(ref.replace(/@kubernetescrd$/, '')) ?? undefined) : undefined
  }

  /** A middleware's table entry as MiddlewareCompiler.expand makes it (undefined: it never would). */
  #entryOf(http: Required<HTTPConfiguration>, key: string): TableMiddleware | undefined {
    const mc = new MiddlewareCompiler(http.middlewares, this.#o.target)
    mc.expand([key])
    return mc.middlewares[key]
  }

  #setRead(who: string, before: readonly string[], now: readonly string[]): void {
    for (const k of before) {
      const set = this.#readers.get(k)
      set?.delete(who)
      if (set?.size === 0) this.#readers.delete(k)
    }
    for (const k of now) addTo(this.#readers, k, who)
  }

  /** Records what `who` expanded; middlewares that gained their first or lost their last user go to `changed`. */
  #setTouched(who: string, before: readonly string[], now: readonly string[], changed: Set<string>): void {
    for (const k of before) {
      const set = this.#touchers.get(k)
      if (!set?.delete(who)) continue
      if (set.size === 0) {
        this.#touchers.delete(k)
        changed.add(k)
      }
    }
    for (const k of now) {
      if (!this.#touchers.has(k)) changed.add(k)
      addTo(this.#touchers, k, who)
    }
  }

  #useTransport(before: string | null, now: string | null): void {
    if (before === now) return
    if (before !== null) this.#transportUses.set(before, (this.#transportUses.get(before) ?? 1) - 1)
    if (now !== null) this.#transportUses.set(now, (this.#transportUses.get(now) ?? 0) + 1)
  }

  #setTlsServed(name: string, served: { option: string; eps: string[]; hosts: string[] } | undefined, out: TableDelta): void {
    const before = this.#tlsServed.get(name)
    if (served === undefined) {
      if (before === undefined) return
      this.#tlsServed.delete(name)
    } else {
      if (before !== undefined && sameValue(before, served)) return
      this.#tlsServed.set(name, served)
    }
    out.tls = true
  }

  /** Rebuilds the TLS section; returns whether it changed. */
  #updateTls(config: ConfigUnderConstruction): boolean {
    if (this.#tlsRouters === 0) {
      const changed = this.tls !== undefined
      this.tls = undefined
      return changed
    }
    const hosts = new Map<string, Map<string, string>>()
    const used = new Set<string>()
    for (const { option, eps, hosts: names } of this.#tlsServed.values()) {
      used.add(option)
      for (const ep of eps) {
        let map = hosts.get(ep)
        if (!map) hosts.set(ep, (map = new Map()))
        for (const h of names) map.set(h, option)
      }
    }
    const next = sortedTableTls(config.tls.options ?? {}, used, hosts)
    if (this.tls !== undefined && sameValue(this.tls, next)) return false
    this.tls = next
    return true
  }
}

/**
 * Traefik's TLS conflict rule kept per entry point and host: a router's conflicts are those of
 * the groups its hosts are in, so changing a router looks again at the routers sharing its hosts.
 */
class TlsConflicts {
  readonly epsOf: (r: Router) => string[]
  readonly #info = new Map<string, TlsInfo>()
  /** `ep\0host` -> option -> routers. */
  readonly #groups = new Map<string, Map<string, Set<string>>>()
  /** Router -> entry point -> why it is in conflict there. */
  readonly #conflicts = new Map<string, Map<string, string>>()

  constructor(epsOf: (r: Router) => string[]) {
    this.epsOf = epsOf
  }

  conflictsOf(name: string): ReadonlyMap<string, string> {
    return this.#conflicts.get(name) ?? new Map()
  }

  /** Sets a router's TLS facts (undefined: not a TLS router); returns the routers whose conflicts changed. */
  update(name: string, router: Router | undefined): string[] {
    const before = this.#info.get(name)
    const now = router ? { option: routerOptionsName(router), domains: domainsOfRule(router.rule ?? ''), eps: this.epsOf(router) } : undefined
    if (before === undefined && now === undefined) return []
    if (before !== undefined && now !== undefined && sameValue(before, now)) return []
    const affected = new Set<string>([name])
    for (const [info, add] of [
      [before, false],
      [now, true],
    ] as const) {
      if (info === undefined) continue
      for (const ep of info.eps) {
        for (const host of info.domains) {
          const k = `${ep}\u0000${host}`
          let options = this.#groups.get(k)
          if (!options) this.#groups.set(k, (options = new Map()))
          let set = options.get(info.option)
          if (!set) options.set(info.option, (set = new Set()))
          if (add) set.add(name)
          else set.delete(name)
          if (set.size === 0) options.delete(info.option)
          if (options.size === 0) this.#groups.delete(k)
          for (const routers of options.values()) for (const r of routers) affected.add(r)
        }
      }
    }
    if (now) this.#info.set(name, now)
    else this.#info.delete(name)
    const changed: string[] = []
    for (const r of affected) {
      const next = this.#compute(r)
      const previous = this.#conflicts.get(r) ?? new Map<string, string>()
      if (sameValue(Object.fromEntries(previous), Object.fromEntries(next))) continue
      if (next.size === 0) this.#conflicts.delete(r)
      else this.#conflicts.set(r, next)
      changed.push(r)
    }
    return changed
  }

  /** As resolveTlsConflicts marks it: the first host (sorted) in conflict, or no Host at all. */
  #compute(name: string): Map<string, string> {
    const info = this.#info.get(name)
    const out = new Map<string, string>()
    if (!info) return out
    for (const ep of info.eps) {
      if (info.domains.length === 0) {
        if (info.option !== DEFAULT_TLS_OPTIONS) out.set(ep, `TLS options ${info.option} on a rule without Host`)
        continue
      }
      for (const host of [...info.domains].sort()) {
        const options = this.#groups.get(`${ep}\u0000${host}`)
        if (!options || options.size < 2) continue
        out.set(ep, `host ${host} is served with different TLS options (${[...options.keys()].sort().join(', ')})`)
        break
      }
    }
    return out
  }
}

/** Shared by every record whose list is empty (most of them: there are 100k routers). */
const NONE = Object.freeze([]) as unknown as string[]

/** The transport key a load balancer names (whether or not it exists). */
function transportOf(svc: Service): string | null {
  const ref = svc.loadBalancer?.serversTransport
  return ref ? localKey(ref) : null
}

/**
 * The transport compiling this service puts in the table: ServiceCompiler compiles the transport of
 * a load balancer (of one type) as soon as it finds it, before anything else can fail.
 */
function touchesTransport(svc: Service, http: Required<HTTPConfiguration>): string | null {
  const types = (['loadBalancer', 'weighted', 'mirroring', 'failover', 'highestRandomWeight'] as const).filter((k) => svc[k] !== undefined)
  if (types.length !== 1 || types[0] !== 'loadBalancer') return null
  const tk = transportOf(svc)
  return tk !== null && http.serversTransports[tk] !== undefined ? tk : null
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key)
  if (!set) map.set(key, (set = new Set()))
  set.add(value)
}

/**
 * Sets `map[key]` to `value`, keeping the present object when equal (so that later stages tell an
 * unchanged entry by identity); undefined deletes. Returns whether the entry changed.
 */
function keepOrSet<T>(map: Record<string, T>, key: string, value: T | undefined): boolean {
  const before = map[key]
  if (value === undefined) {
    if (before === undefined) return false
    delete map[key]
    return true
  }
  if (before !== undefined && (before === value || sameValue(before, value))) return false
  map[key] = value
  return true
}

export type { TableService, TableTransport }
