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
 * What depends on an order, as buildEdgeTable settles it: services are compiled in sorted order
 * before any router, so what Traefik says of a reference cycle (the path its recursion took) is
 * that of the sorted walk. Only the services that reach a cycle can say anything else, so those
 * (`tainted`) are compiled again together, in sorted order, whenever one of them is. What the
 * middlewares' expansions report on a middleware is kept per router and service that reported it.
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
import { buildRouter, middlewareDiagnostics, sortedChannels, withServiceMiddlewares, type EdgeTableOptions } from '../../table/build-edge-table.ts'
import { EdgeDiagnostics, type EdgeDiagnostic } from '../../table/diagnostics.ts'
import { sameValue } from '../../table/intern.ts'
import { KeyedLists } from './keyed-lists.ts'
import { jsonBytes, MAX_MIDDLEWARE_BYTES, MiddlewareCompiler } from '../../table/middlewares.ts'
import { INTERNAL_SERVICES, localKey } from '../../table/references.ts'
import { ServiceCompiler, serviceChildren, servicesOnCycles } from '../../table/services.ts'
import { compileTransport, type UpstreamChannel } from '../../table/transports.ts'
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
interface UserRecord {
  /** Middlewares its expansions put in the table. */
  touched: string[]
  /** Middlewares its expansions looked up (found or not): what they depend on. */
  read: string[]
  /** What its expansions found wrong with middlewares (reported on them). */
  reports: EdgeDiagnostic[]
  /** Internal services it resolved (they are in the table while someone does). */
  internal: string[]
}

interface RouterRecord extends UserRecord {
  /** Names this config router has in the table (itself, TLS-conflict copies), built or not. */
  outputs: string[]
  /** Its service's key, and its TLS options' name (TLS routers): what it is indexed by. */
  service: string | null
  tlsOption: string | null
}

interface ServiceRecord extends UserRecord {
  /** Compiled (undefined: not yet: only linked). */
  ok?: boolean
  /** Why it cannot be used, as its users are told (ServiceCompiler.whyNot), when it failed. */
  why?: string
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
  readonly #diagnostics = new KeyedLists<EdgeDiagnostic>(true)
  readonly #routersOfService = new Map<string, Set<string>>()
  readonly #routersOfTlsOption = new Map<string, Set<string>>()
  readonly #parents = new Map<string, Set<string>>()
  readonly #servicesOfTransport = new Map<string, Set<string>>()
  readonly #composite = new Set<string>()
  #cycles = new Set<string>()
  /** The services that reach a cycle (on it, or above it). */
  #tainted = new Set<string>()
  /** Middleware -> `r<router>` / `s<service>` whose expansion put it in the table. */
  readonly #touchers = new Map<string, Set<string>>()
  /** Middleware -> `r<router>` / `s<service>` whose expansion looked it up. */
  readonly #readers = new Map<string, Set<string>>()
  readonly #pageUsers = new Map<string, Set<string>>()
  readonly #transportUses = new Map<string, number>()
  /** Middleware -> what expansions report on it -> how many routers and services do. */
  readonly #reports = new Map<string, Map<string, { d: EdgeDiagnostic; n: number }>>()
  /** Internal service -> `r<router>` / `s<service>` / `m<middleware>` that resolved it. */
  readonly #internalUsers = new Map<string, Set<string>>()
  /** Middleware -> its internal error page resolved by its diagnostics. */
  readonly #middlewareInternal = new Map<string, string[]>()
  /** Transport -> its channel on self-hosted workerd (none: it needs none). */
  readonly #channelOf = new Map<string, UpstreamChannel>()
  #channels: UpstreamChannel[] | null = []

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

  /** One entry's diagnostics (`r`outer, `s`ervice, `m`iddleware, `t`ransport + name; `d`: the internal services' document). */
  entryDiagnostics(key: string): readonly EdgeDiagnostic[] {
    return this.#diagnostics.get(key)
  }

  /** The entries with diagnostics. */
  entryKeys(): IterableIterator<string> {
    return this.#diagnostics.keys()
  }

  /** The entries whose diagnostics changed since the last call. */
  takeChangedEntries(): Set<string> {
    return this.#diagnostics.takeChanged()
  }

  /** What writing the internal services' document found (too large to publish). */
  setDocumentDiagnostics(items: EdgeDiagnostic[]): void {
    this.#diagnostics.set('d', items)
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
      if (now) this.#services.set(key, { ...(before ?? { ...NO_USES, transport: null }), ...now })
      if ((before?.children.length ?? 0) > 0 || (now?.children.length ?? 0) > 0) compositeChanged = true
      if (now && now.children.length > 0) this.#composite.add(key)
      else this.#composite.delete(key)
    }
    const taintedBefore = this.#tainted
    if (compositeChanged) {
      this.#cycles = servicesOnCycles(http.services, this.#composite)
      const tainted = this.#above(this.#cycles)
      for (const k of tainted) if (!this.#tainted.has(k)) dirtyServices.add(k)
      for (const k of this.#tainted) if (!tainted.has(k)) dirtyServices.add(k)
      this.#tainted = tainted
    }
    // What a service on a cycle says depends on the services above it (the sorted walk's path):
    // when one that reaches a cycle, now or before, changed, they are all compiled again.
    if (this.#tainted.size > 0) {
      for (const k of dirtyServices) {
        if (!taintedBefore.has(k) && !this.#tainted.has(k)) continue
        for (const t of this.#tainted) dirtyServices.add(t)
        break
      }
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
      if (router) this.#routers.set(name, { ...(before ?? { ...NO_USES, outputs: NONE }), ...links })
      if (((before?.tlsOption ?? null) !== null) !== (links.tlsOption !== null)) {
        this.#tlsRouters += links.tlsOption !== null ? 1 : -1
        out.tls = true
      }
      for (const r of this.#conflicts.update(name, router?.tls ? router : undefined)) dirtyRouters.add(r)
    }

    const d = new EdgeDiagnostics()
    const services = new BatchServices(http, this.#o.target, d, this.#o.tunnel, this.#tainted)
    const touchedNow = new Map<string, TableMiddleware>()
    // Who resolves an internal service: the service being compiled, else the entry being built.
    let owner = ''
    const internalNow = new Map<string, Set<string>>()
    services.onInternal = (reference, by) => addTo(internalNow, by === undefined ? owner : `s${by}`, reference)

    // Services, and the parents of those whose servability changed.
    const statusChanged = new Set<string>()
    const recompiled = new Set<string>()
    const queue = [...dirtyServices]
    let taintedQueued = false
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
        this.#setUses(`s${key}`, before, NO_USES, dirtyMiddlewares, out)
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
      // The tainted services were compiled together (the sorted walk): each of them may say otherwise now.
      if (services.walked && !taintedQueued) {
        taintedQueued = true
        for (const k of this.#tainted) if (!recompiled.has(k)) queue.push(k)
      }
      const why = ok ? undefined : services.whyNot(key)
      let value = services.out.services[key]
      let uses: UserRecord = { ...NO_USES, internal: listOf(internalNow.get(`s${key}`)) }
      const refs = services.out.serviceMiddlewares.get(key)
      if (value !== undefined && refs !== undefined) {
        const mc = new MiddlewareCompiler(http.middlewares, this.#o.target)
        value = withServiceMiddlewares(key, value, refs, mc, d)
        uses = { ...usesOf(mc), internal: uses.internal }
        for (const [k, mw] of Object.entries(mc.middlewares)) touchedNow.set(k, mw)
      }
      const transport = touchesTransport(svc, http)
      this.#services.set(key, { ...before!, ...uses, ok, ...(why === undefined ? { why: undefined } : { why }), transport })
      this.#setTouched(`s${key}`, before?.touched ?? [], uses.touched, dirtyMiddlewares)
      this.#setRead(`s${key}`, before?.read ?? [], uses.read)
      this.#setUses(`s${key}`, before ?? NO_USES, uses, dirtyMiddlewares, out)
      this.#useTransport(before?.transport ?? null, transport)
      if (keepOrSet(this.table.services, key, value)) out.services.add(key)
      if (keepOrSet(this.endpoints, key, this.#shared(services.out.endpoints[key]))) out.endpoints.add(key)
      if (before?.ok !== ok || before?.why !== why) {
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
      const reports: EdgeDiagnostic[] = []
      owner = `r${name}`
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
          for (const list of mc.reports.values()) reports.push(...list)
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
      owner = ''
      const uses: UserRecord = {
        touched: touched.size === 0 ? NONE : [...touched],
        read: read.size === 0 ? NONE : [...read],
        reports: reports.length === 0 ? NO_REPORTS : reports,
        internal: listOf(internalNow.get(`r${name}`)),
      }
      if (router === undefined) this.#routers.delete(name)
      else this.#routers.set(name, { ...before!, ...uses, outputs: outputs.map(([n]) => n) })
      this.#setTouched(`r${name}`, before?.touched ?? [], uses.touched, dirtyMiddlewares)
      this.#setRead(`r${name}`, before?.read ?? [], uses.read)
      this.#setUses(`r${name}`, before ?? NO_USES, router === undefined ? NO_USES : uses, dirtyMiddlewares, out)
    }

    // Middlewares: their table entry (those in use) and their diagnostics (middlewareDiagnostics).
    for (const key of dirtyMiddlewares) {
      const page = this.#pageOf(key)
      if (page !== undefined) this.#pageUsers.get(page)?.delete(key)
      let mw: TableMiddleware | undefined
      if (!this.#touchers.get(key)?.size) {
        if (this.table.middlewares[key] !== undefined) {
          delete this.table.middlewares[key]
          out.middlewares.add(key)
        }
      } else {
        const value = touchedNow.get(key) ?? this.#entryOf(http, key)
        if (value !== undefined && keepOrSet(this.table.middlewares, key, value)) out.middlewares.add(key)
        mw = this.table.middlewares[key]
      }
      owner = `m${key}`
      const reports = this.#reports.get(key)
      const oversize = mw === undefined ? undefined : oversizeOf(http, key, mw)
      this.#diagnostics.set(`m${key}`, middlewareDiagnostics(key, mw, reports && [...reports.values()].map((r) => r.d), oversize, services, this.#o.target))
      owner = ''
      const internal = listOf(internalNow.get(`m${key}`))
      this.#setInternal(`m${key}`, this.#middlewareInternal.get(key) ?? NONE, internal, out)
      if (internal.length === 0) this.#middlewareInternal.delete(key)
      else this.#middlewareInternal.set(key, internal)
      const newPage = this.#pageOf(key)
      if (newPage !== undefined) addTo(this.#pageUsers, newPage, key)
    }

    // Transports in use, and their channels.
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
    for (const tk of out.transports) {
      const st = this.table.transports[tk] && http.serversTransports[tk]
      const channel = st ? compileTransport(tk, st, this.#o.target, new EdgeDiagnostics()).channel : undefined
      if (channel) this.#channelOf.set(tk, channel)
      else this.#channelOf.delete(tk)
      this.#channels = null
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

  /** The services that reach one of `cycles` (ancestors through the parents index, cycles included). */
  #above(cycles: ReadonlySet<string>): Set<string> {
    const out = new Set(cycles)
    const queue = [...cycles]
    while (queue.length > 0) {
      for (const p of this.#parents.get(queue.pop()!) ?? []) {
        if (out.has(p) || this.#services.get(p) === undefined) continue
        out.add(p)
        queue.push(p)
      }
    }
    return out
  }

  /** The transports' channels (buildEdgeTable's `channels`). */
  channels(): UpstreamChannel[] {
    if (this.#channels === null) {
      const byBinding = new Map<string, UpstreamChannel>()
      for (const [tk, c] of this.#channelOf) {
        const shared = byBinding.get(c.binding)
        if (shared) shared.transports.push(tk)
        else byBinding.set(c.binding, { ...c, transports: [tk] })
      }
      this.#channels = sortedChannels(byBinding.values())
    }
    return this.#channels
  }

  /** The internal services in the table. */
  internalServices(): IterableIterator<string> {
    return this.#internalUsers.keys()
  }

  /** Records what a router or service reported on middlewares and which internal services it resolved. */
  #setUses(who: string, before: UserRecord, now: UserRecord, changed: Set<string>, out: TableDelta): void {
    if (before.reports !== now.reports) {
      for (const r of before.reports) {
        const byMessage = this.#reports.get(r.name)
        const found = byMessage?.get(r.message)
        if (!byMessage || !found) continue
        if (--found.n > 0) continue
        byMessage.delete(r.message)
        if (byMessage.size === 0) this.#reports.delete(r.name)
        changed.add(r.name)
      }
      for (const r of now.reports) {
        let byMessage = this.#reports.get(r.name)
        if (!byMessage) this.#reports.set(r.name, (byMessage = new Map()))
        const found = byMessage.get(r.message)
        if (found) found.n++
        else {
          byMessage.set(r.message, { d: r, n: 1 })
          changed.add(r.name)
        }
      }
    }
    this.#setInternal(who, before.internal, now.internal, out)
  }

  /** Internal services are in the table while someone resolves them (as ServiceCompiler.resolve puts them there). */
  #setInternal(who: string, before: readonly string[], now: readonly string[], out: TableDelta): void {
    if (before === now) return
    for (const ref of before) {
      const users = this.#internalUsers.get(ref)
      if (!users?.delete(who) || users.size > 0) continue
      this.#internalUsers.delete(ref)
      delete this.table.services[ref]
      out.services.add(ref)
    }
    for (const ref of now) {
      const users = this.#internalUsers.get(ref)
      if (users) {
        users.add(who)
        continue
      }
      this.#internalUsers.set(ref, new Set([who]))
      this.table.services[ref] = { kind: 'internal', service: INTERNAL_SERVICES[ref]! }
      out.services.add(ref)
    }
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
const NO_REPORTS = Object.freeze([]) as unknown as EdgeDiagnostic[]
const NO_USES: UserRecord = Object.freeze({ touched: NONE, read: NONE, reports: NO_REPORTS, internal: NONE })

/**
 * The batch's service compiler: the first time a service that reaches a cycle is asked for, all
 * of those are compiled first, in sorted order (buildEdgeTable's walk), before it is answered.
 */
class BatchServices extends ServiceCompiler {
  readonly #tainted: ReadonlySet<string>
  /** Whether the tainted services were compiled (this batch). */
  walked = false

  constructor(
    http: HTTPConfiguration,
    target: EdgeTableOptions['target'],
    d: EdgeDiagnostics,
    tunnel: EdgeTableOptions['tunnel'],
    tainted: ReadonlySet<string>,
  ) {
    super(http, target, d, tunnel)
    this.#tainted = tainted
  }

  override resolve(reference: string): string | null {
    if (!this.walked && this.#tainted.size > 0) {
      const key = localKey(reference)
      if (key !== null && this.#tainted.has(key)) {
        this.walked = true
        for (const k of [...this.#tainted].sort()) super.resolve(k)
      }
    }
    return super.resolve(reference)
  }
}

/** What a MiddlewareCompiler's expansions touched, read and reported. */
function usesOf(mc: MiddlewareCompiler): UserRecord {
  const touched = Object.keys(mc.middlewares)
  const reports: EdgeDiagnostic[] = []
  for (const list of mc.reports.values()) reports.push(...list)
  return {
    touched: touched.length === 0 ? NONE : touched,
    read: mc.read.size === 0 ? NONE : [...mc.read],
    reports: reports.length === 0 ? NO_REPORTS : reports,
    internal: NONE,
  }
}

function listOf(set: ReadonlySet<string> | undefined): string[] {
  return set === undefined || set.size === 0 ? NONE : [...set]
}

/** Bytes of a middleware's configuration when it is too large to publish (MiddlewareCompiler's `oversize`). */
function oversizeOf(http: Required<HTTPConfiguration>, key: string, mw: TableMiddleware): number | undefined {
  if (mw.config !== null) return undefined
  const bytes = jsonBytes((http.middlewares[key] as Record<string, unknown> | undefined)?.[mw.type])
  return bytes > MAX_MIDDLEWARE_BYTES ? bytes : undefined
}

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
