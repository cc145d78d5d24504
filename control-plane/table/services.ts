/**
 * Services of the dynamic configuration to the edge's services (routes side) and servers
 * (endpoints side). A service that references something missing, or itself, is left out with an
 * error, as Traefik leaves it out; routers that use it then fail to build (./routers.ts).
 *
 * On the Cloudflare target each server is marked for the cluster's tunnel (the Workers VPC Network
 * binding) when Cloudflare's own fetch() cannot reach it: pod, ClusterIP and node addresses and
 * cluster names (shared/table/tunnel.ts). Only what neither path reaches is reported as unreachable.
 *
 * @module
 */
import { durationToNs } from '../../shared/dynamic/duration.ts'
import type { HTTPConfiguration, Service, ServersLoadBalancer, Sticky } from '../../shared/dynamic/types.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import { isIpLiteral, throughTunnel, type TunnelHost, type TunnelMode } from '../../shared/table/tunnel.ts'
import type { ServiceEndpoints, StickyCookie, TablePassiveHealthCheck, TableService, TableServer, TableTransport } from '../../shared/table/schema.ts'
import type { EdgeDiagnostics } from './diagnostics.ts'
import { INTERNAL_SERVICES, localKey, qualify, unresolved } from './references.ts'
import { stickyCookieName } from './sticky-name.ts'
import { compileTransport, type UpstreamChannel } from './transports.ts'

export interface CompiledServices {
  services: Record<string, TableService>
  transports: Record<string, TableTransport>
  /** By binding: the transports' own networks a self-hosted workerd must provide. */
  channels: Record<string, UpstreamChannel>
  endpoints: Record<string, ServiceEndpoints>
  /** Middleware references of service-level middlewares, resolved by the caller. */
  serviceMiddlewares: Map<string, string[]>
}

const DEFAULT_FLUSH_MS = 100

/** The Cloudflare target's tunnel: which servers go through it, and how it carries the Host. */
export interface TunnelOptions {
  mode: TunnelMode
  host: TunnelHost
}

const DEFAULT_TUNNEL: TunnelOptions = { mode: 'private', host: 'header' }

export class ServiceCompiler {
  readonly out: CompiledServices = { services: {}, transports: {}, channels: {}, endpoints: {}, serviceMiddlewares: new Map() }
  readonly #http: HTTPConfiguration
  readonly #target: EdgeTarget
  readonly #d: EdgeDiagnostics
  readonly #tunnel: TunnelOptions
  /** true: compiled; false: failed (reported once). */
  readonly #done = new Map<string, boolean>()
  /** The services being compiled, outermost first (Traefik's recursion stack). */
  readonly #visiting = new Set<string>()
  /** Each service's error messages, as Traefik's runtime lists them on it. */
  readonly #errors = new Map<string, string[]>()

  constructor(http: HTTPConfiguration, target: EdgeTarget, diagnostics: EdgeDiagnostics, tunnel: TunnelOptions = DEFAULT_TUNNEL) {
    this.#http = http
    this.#target = target
    this.#d = diagnostics
    this.#tunnel = tunnel
  }

  /**
   * Told of every resolution of an internal service, with the service whose compilation asked
   * (undefined: the caller's own), for whoever keeps the table's internal services per user.
   */
  onInternal: ((reference: string, by: string | undefined) => void) | undefined

  /** Compiles the service a reference names (and everything it uses); its key, or null if it failed. */
  resolve(reference: string): string | null {
    const internal = INTERNAL_SERVICES[reference]
    if (internal !== undefined) {
      this.out.services[reference] ??= { kind: 'internal', service: internal }
      this.onInternal?.(reference, [...this.#visiting].at(-1))
      return reference
    }
    const key = localKey(reference)
    if (key === null || !this.#http.services?.[key]) return null
    return this.#compile(key) ? key : null
  }

  /** Whether the reference names a service of the configuration (served or not). */
  exists(reference: string): boolean {
    const key = localKey(reference)
    return key !== null && this.#http.services?.[key] !== undefined
  }

  /**
   * Why a reference cannot be used, as Traefik says it to whoever uses it: that the service does
   * not exist, or the errors of the service that failed, joined.
   */
  whyNot(reference: string): string {
    const key = localKey(reference)
    const errors = key === null ? undefined : this.#errors.get(key)
    return this.exists(reference) && errors?.length ? errors.join(', ') : unresolved('service', reference)
  }

  /** Reports a problem of service `key`: its errors are what the routers using it are told. */
  #fail(key: string, field: string, message: string): void {
    const errors = this.#errors.get(key) ?? []
    if (errors.includes(message)) return
    this.#errors.set(key, [...errors, message])
    this.#d.error('service', key, field, message)
  }

  #compile(key: string): boolean {
    const known = this.#done.get(key)
    if (known !== undefined) return known
    if (this.#visiting.has(key)) {
      const stack = [...this.#visiting, key].map((k) => `service:${qualify(k)}`).join('->')
      this.#fail(key, '', `could not instantiate service ${qualify(key)}: recursion detected in ${stack}`)
      return false
    }
    this.#visiting.add(key)
    let ok = false
    try {
      const compiled = this.#build(key, this.#http.services![key]!)
      if (compiled) {
        this.out.services[key] = compiled
        ok = true
      }
    } finally {
      this.#visiting.delete(key)
    }
    this.#done.set(key, ok)
    return ok
  }

  /** A child service reference; reports and returns null when it cannot be used. */
  #child(owner: string, field: string, reference: string | undefined): string | null {
    if (!reference) {
      this.#fail(owner, field, 'no service named')
      return null
    }
    const key = this.resolve(reference)
    if (key === null) this.#fail(owner, field, this.whyNot(reference))
    return key
  }

  #build(key: string, svc: Service): TableService | null {
    const kinds = (['loadBalancer', 'weighted', 'mirroring', 'failover', 'highestRandomWeight'] as const).filter((k) => svc[k] !== undefined)
    if (kinds.length !== 1) {
      this.#fail(
        key,
        '',
        kinds.length === 0
          ? `the service ${JSON.stringify(qualify(key))} does not have any type defined`
          : 'cannot create service: multi-types service not supported, consider declaring two different pieces of service instead',
      )
      return null
    }
    if (svc.middlewares?.length) this.out.serviceMiddlewares.set(key, svc.middlewares)
    const kind = kinds[0]!
    switch (kind) {
      case 'loadBalancer':
        return this.#loadBalancer(key, svc.loadBalancer!)
      case 'weighted': {
        const w = svc.weighted!
        const services = this.#weightedChildren(key, 'weighted', w.services)
        if (services === null) return null
        return { kind: 'weighted', services, healthCheck: w.healthCheck !== undefined, ...this.#sticky(key, w.sticky) }
      }
      case 'mirroring': {
        const m = svc.mirroring!
        const main = this.#child(key, 'mirroring.service', m.service)
        if (main === null) return null
        const mirrors: Array<{ service: string; percent: number }> = []
        for (const [i, mirror] of (m.mirrors ?? []).entries()) {
          const mk = this.#child(key, `mirroring.mirrors[${i}].name`, mirror.name)
          if (mk === null) return null
          const percent = mirror.percent ?? 0
          if (percent < 0 || percent > 100) {
            this.#fail(key, `mirroring.mirrors[${i}].percent`, 'percent must be between 0 and 100')
            return null
          }
          mirrors.push({ service: mk, percent })
        }
        return {
          kind: 'mirroring',
          service: main,
          mirrors,
          mirrorBody: m.mirrorBody ?? true,
          maxBodySize: m.maxBodySize ?? -1,
          healthCheck: m.healthCheck !== undefined,
        }
      }
      case 'failover': {
        const f = svc.failover!
        const main = this.#child(key, 'failover.service', f.service)
        const fallback = this.#child(key, 'failover.fallback', f.fallback)
        if (main === null || fallback === null) return null
        const errorStatus = f.errors?.status ? parseStatusRanges(f.errors.status) : undefined
        if (errorStatus === null) {
          this.#fail(key, 'failover.errors.status', `error creating failover service ${qualify(key)}: invalid status range`)
          return null
        }
        return {
          kind: 'failover',
          service: main,
          fallback,
          ...(errorStatus ? { errorStatus } : {}),
          maxRequestBodyBytes: f.errors?.maxRequestBodyBytes ?? -1,
          healthCheck: f.healthCheck !== undefined,
        }
      }
      case 'highestRandomWeight': {
        const h = svc.highestRandomWeight!
        const services = this.#weightedChildren(key, 'highestRandomWeight', h.services)
        if (services === null) return null
        return { kind: 'weighted', strategy: 'hrw', services, healthCheck: h.healthCheck !== undefined }
      }
    }
  }

  /** A weighted or highestRandomWeight service's children: table keys and weights (null: one is unknown). */
  #weightedChildren(
    key: string,
    kind: string,
    children: Array<{ name?: string; weight?: number }> | undefined,
  ): Array<{ service: string; weight: number }> | null {
    const services: Array<{ service: string; weight: number }> = []
    for (const [i, child] of (children ?? []).entries()) {
      const childKey = this.#child(key, `${kind}.services[${i}].name`, child.name)
      if (childKey === null) return null
      services.push({ service: childKey, weight: child.weight ?? 1 })
    }
    return services
  }

  #loadBalancer(key: string, lb: ServersLoadBalancer): TableService | null {
    // RoundRobin is Traefik's deprecated spelling of wrr.
    const strategy = lb.strategy === undefined || lb.strategy === 'RoundRobin' ? 'wrr' : lb.strategy
    if (strategy !== 'wrr' && strategy !== 'p2c' && strategy !== 'hrw' && strategy !== 'leasttime') {
      this.#d.warn('service', key, 'loadBalancer.strategy', `${strategy} is not a Traefik strategy: balanced with wrr`)
    }
    let transport: string | undefined
    if (lb.serversTransport) {
      const tk = localKey(lb.serversTransport)
      const st = tk === null ? undefined : this.#http.serversTransports?.[tk]
      if (tk === null || !st) {
        const first = lb.servers?.[0]?.url
        const why = unresolved('serversTransport', lb.serversTransport)
        this.#fail(key, 'loadBalancer.serversTransport', first === undefined ? why : `error building proxy for server URL ${first}: ${why}`)
        return null
      }
      if (!this.out.transports[tk]) {
        const compiled = compileTransport(tk, st, this.#target, this.#d)
        this.out.transports[tk] = compiled.transport
        if (compiled.channel) {
          const shared = this.out.channels[compiled.channel.binding]
          if (shared) shared.transports.push(tk)
          else this.out.channels[compiled.channel.binding] = compiled.channel
        }
      }
      transport = tk
    }
    let flushIntervalMs = DEFAULT_FLUSH_MS
    if (lb.responseForwarding?.flushInterval !== undefined) {
      try {
        flushIntervalMs = Math.round(durationToNs(lb.responseForwarding.flushInterval) / 1e6)
      } catch (err) {
        this.#d.warn('service', key, 'loadBalancer.responseForwarding.flushInterval', `${(err as Error).message}; default used`)
      }
    }
    const servers: TableServer[] = []
    for (const [i, server] of (lb.servers ?? []).entries()) {
      const field = `loadBalancer.servers[${i}].url`
      let url: URL
      try {
        url = new URL(server.url ?? '')
      } catch {
        this.#fail(key, field, `error parsing server URL ${server.url ?? ''}: not an absolute URL`)
        return null
      }
      const tunnel = this.#target === 'cloudflare' && throughTunnel(url.hostname, this.#tunnel.mode)
      this.#checkServer(key, field, url, tunnel)
      servers.push({
        url: server.url!,
        weight: server.weight ?? 1,
        preservePath: server.preservePath === true,
        fenced: server.fenced === true,
        up: true,
        ...(tunnel ? { tunnel: this.#tunnel.host } : {}),
      })
    }
    this.out.endpoints[key] = { servers }
    if (transport && this.#target === 'cloudflare' && this.out.transports[transport]?.binding && servers.some((s) => s.tunnel !== undefined)) {
      this.#d.warn(
        'service',
        key,
        'loadBalancer.serversTransport',
        `the client certificate of serversTransport ${transport} is presented only to servers reached with fetch(), not to those reached through the cluster's tunnel (the VPC binding connects as cloudflared does)`,
      )
    }
    const passHostHeader = lb.passHostHeader ?? true
    if (passHostHeader && this.#target === 'cloudflare') this.#hostOnCloudflare(key, servers)
    return {
      kind: 'loadBalancer',
      passHostHeader,
      flushIntervalMs,
      healthCheck: lb.healthCheck !== undefined,
      ...passiveHealth(lb),
      ...(strategy === 'p2c' || strategy === 'hrw' || strategy === 'leasttime' ? { strategy } : {}),
      ...(transport ? { transport } : {}),
      ...this.#sticky(key, lb.sticky),
    }
  }

  #checkServer(key: string, field: string, url: URL, tunnel: boolean): void {
    if (url.protocol === 'h2c:') {
      this.#d.warn('service', key, field, 'h2c is spoken as HTTP/1.1: the runtime has no HTTP/2 client')
    } else if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.#d.error('service', key, field, `scheme ${url.protocol} is not supported`)
    }
    if (this.#target !== 'cloudflare') return
    if (tunnel && url.protocol === 'https:') {
      this.#d.warn(
        'service',
        key,
        field,
        "HTTPS through the tunnel: cloudflared verifies the upstream's certificate against public CAs and Cloudflare's Origin CA (a self-signed pod certificate fails); plain http inside the cluster is still encrypted up to the tunnel",
      )
    } else if (!tunnel && isIpLiteral(url.hostname)) {
      this.#d.error(
        'service',
        key,
        field,
        "Cloudflare refuses fetches to IP addresses (error 1003) and the tunnel is off (--tunnel off): use a hostname in the zone, or the cluster's tunnel",
      )
    }
  }

  /** passHostHeader on Cloudflare: what each path does with the client's Host. */
  #hostOnCloudflare(key: string, servers: TableServer[]): void {
    const field = 'loadBalancer.passHostHeader'
    if (servers.some((s) => s.tunnel === 'url')) {
      this.#d.warn(
        'service',
        key,
        field,
        "the tunnel is set to carry the URL's host (--tunnel-host url): the upstream gets its own host, the client's is in X-Forwarded-Host",
      )
    }
    if (servers.some((s) => s.tunnel === undefined)) {
      this.#d.warn(
        'service',
        key,
        field,
        "Cloudflare sends the client's Host to a public upstream only when both are in one of the worker's zones (CLOUDFLARE_ZONES: cf.resolveOverride); elsewhere the upstream gets its own host",
      )
    }
  }

  #sticky(key: string, sticky: Sticky | undefined): { sticky?: StickyCookie } {
    const c = sticky?.cookie
    if (!c) return {}
    const sameSite = { none: 'None', lax: 'Lax', strict: 'Strict' }[(c.sameSite ?? '').toLowerCase()] as StickyCookie['sameSite']
    return {
      sticky: {
        name: stickyCookieName(c.name, key),
        secure: c.secure === true,
        httpOnly: c.httpOnly === true,
        ...(sameSite ? { sameSite } : {}),
        maxAge: c.maxAge ?? 0,
        path: c.path ?? '/',
        ...(c.domain ? { domain: c.domain } : {}),
      },
    }
  }
}

/** Keys of the services a service delegates to (weighted, mirroring, failover, highestRandomWeight). */
export function serviceChildren(svc: Service): string[] {
  const refs: Array<string | undefined> = []
  const kinds = (['loadBalancer', 'weighted', 'mirroring', 'failover', 'highestRandomWeight'] as const).filter((k) => svc[k] !== undefined)
  // A service with no or several types is refused before its children are looked at.
  if (kinds.length !== 1) return []
  if (svc.weighted) for (const c of svc.weighted.services ?? []) refs.push(c.name)
  if (svc.highestRandomWeight) for (const c of svc.highestRandomWeight.services ?? []) refs.push(c.name)
  if (svc.mirroring) {
    refs.push(svc.mirroring.service)
    for (const m of svc.mirroring.mirrors ?? []) refs.push(m.name)
  }
  if (svc.failover) refs.push(svc.failover.service, svc.failover.fallback)
  const out: string[] = []
  for (const r of refs) {
    const key = r ? localKey(r) : null
    if (key !== null) out.push(key)
  }
  return out
}

/**
 * The services that lie on a cycle of references (Tarjan's strongly connected components,
 * iterative): none of them can be built.
 */
export function servicesOnCycles(services: Readonly<Record<string, Service>>, keys: Iterable<string> = Object.keys(services)): Set<string> {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const out = new Set<string>()
  const edges = (k: string) => {
    const svc = services[k]
    return svc ? serviceChildren(svc).filter((c) => Object.hasOwn(services, c)) : []
  }
  let counter = 0
  for (const root of keys) {
    if (index.has(root) || !Object.hasOwn(services, root)) continue
    const work: Array<{ key: string; children: string[]; next: number }> = []
    const enter = (k: string) => {
      index.set(k, counter)
      low.set(k, counter++)
      stack.push(k)
      onStack.add(k)
      work.push({ key: k, children: edges(k), next: 0 })
    }
    enter(root)
    while (work.length > 0) {
      const top = work[work.length - 1]!
      if (top.next < top.children.length) {
        const c = top.children[top.next++]!
        if (!index.has(c)) enter(c)
        else if (onStack.has(c)) low.set(top.key, Math.min(low.get(top.key)!, index.get(c)!))
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1]!.key
        low.set(parent, Math.min(low.get(parent)!, low.get(top.key)!))
      }
      if (low.get(top.key) !== index.get(top.key)) continue
      const component: string[] = []
      let k: string
      do {
        k = stack.pop()!
        onStack.delete(k)
        component.push(k)
      } while (k !== top.key)
      if (component.length > 1 || edges(top.key).includes(top.key)) for (const m of component) out.add(m)
    }
  }
  return out
}

/** Traefik's passiveHealthCheck in ms (its defaults: a 10 s window, 1 attempt); per isolate at the edge. */
function passiveHealth(lb: ServersLoadBalancer): { passiveHealthCheck?: TablePassiveHealthCheck } {
  const p = lb.passiveHealthCheck
  if (!p) return {}
  const ms = (d: string | number | undefined, fallback: number) => {
    try {
      return d === undefined ? fallback : Math.round(durationToNs(d) / 1e6)
    } catch {
      return fallback
    }
  }
  const failureWindowMs = ms(p.failureWindow, 10_000)
  // With an active check, Traefik leaves bringing the server back to it: at most one interval.
  const interval = lb.healthCheck ? ms(lb.healthCheck.interval, 30_000) : 0
  const downForMs = lb.healthCheck ? (interval > 0 ? interval : 30_000) : failureWindowMs
  return { passiveHealthCheck: { failureWindowMs, maxFailedAttempts: p.maxFailedAttempts ?? 1, downForMs } }
}

/** Traefik's status ranges (`"500"`, `"500-599"`); null when one is invalid. */
export function parseStatusRanges(ranges: string[]): Array<[number, number]> | null {
  const out: Array<[number, number]> = []
  for (const r of ranges) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(r)
    if (!m) return null
    const from = Number(m[1])
    const to = m[2] === undefined ? from : Number(m[2])
    if (to < from) return null
    out.push([from, to])
  }
  return out
}
