/**
 * Services of the dynamic configuration to the edge's services (routes side) and servers
 * (endpoints side). A service that references something missing, or itself, is left out with an
 * error, as Traefik leaves it out; routers that use it then fail to build (./routers.ts).
 *
 * @module
 */
import { durationToNs } from '../../shared/dynamic/duration.ts'
import type { HTTPConfiguration, Service, ServersLoadBalancer, Sticky } from '../../shared/dynamic/types.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import type { ServiceEndpoints, StickyCookie, TablePassiveHealthCheck, TableService, TableServer, TableTransport } from '../../shared/table/schema.ts'
import type { EdgeDiagnostics } from './diagnostics.ts'
import { localKey, unresolved } from './references.ts'
import { stickyCookieName } from './sticky-name.ts'
import { compileTransport } from './transports.ts'

export interface CompiledServices {
  services: Record<string, TableService>
  transports: Record<string, TableTransport>
  endpoints: Record<string, ServiceEndpoints>
  /** Middleware references of service-level middlewares, resolved by the caller. */
  serviceMiddlewares: Map<string, string[]>
}

const DEFAULT_FLUSH_MS = 100

export class ServiceCompiler {
  readonly out: CompiledServices = { services: {}, transports: {}, endpoints: {}, serviceMiddlewares: new Map() }
  readonly #http: HTTPConfiguration
  readonly #target: EdgeTarget
  readonly #d: EdgeDiagnostics
  /** true: compiled; false: failed (reported once). */
  readonly #done = new Map<string, boolean>()
  readonly #visiting = new Set<string>()

  constructor(http: HTTPConfiguration, target: EdgeTarget, diagnostics: EdgeDiagnostics) {
    this.#http = http
    this.#target = target
    this.#d = diagnostics
  }

  /** Compiles the service a reference names (and everything it uses); its key, or null if it failed. */
  resolve(reference: string): string | null {
    const key = localKey(reference)
    if (key === null || !this.#http.services?.[key]) return null
    return this.#compile(key) ? key : null
  }

  /** Whether the reference names a service of the configuration (served or not). */
  exists(reference: string): boolean {
    const key = localKey(reference)
    return key !== null && this.#http.services?.[key] !== undefined
  }

  #compile(key: string): boolean {
    const known = this.#done.get(key)
    if (known !== undefined) return known
    if (this.#visiting.has(key)) {
      this.#d.error('service', key, '', 'references itself (directly or through other services)')
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
      this.#d.error('service', owner, field, 'no service named')
      return null
    }
    const key = this.resolve(reference)
    if (key === null) {
      const reason = this.exists(reference) ? `service ${JSON.stringify(reference)} is not served` : unresolved('service', reference)
      this.#d.error('service', owner, field, reason)
    }
    return key
  }

  #build(key: string, svc: Service): TableService | null {
    const kinds = (['loadBalancer', 'weighted', 'mirroring', 'failover', 'highestRandomWeight'] as const).filter((k) => svc[k] !== undefined)
    if (kinds.length !== 1) {
      this.#d.error('service', key, '', kinds.length === 0 ? 'no service type set' : `several service types set (${kinds.join(', ')})`)
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
            this.#d.error('service', key, `mirroring.mirrors[${i}].percent`, 'percent must be between 0 and 100')
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
          this.#d.error('service', key, 'failover.errors.status', 'invalid status range')
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
        this.#d.error('service', key, 'loadBalancer.serversTransport', unresolved('serversTransport', lb.serversTransport))
        return null
      }
      this.out.transports[tk] ??= compileTransport(tk, st, this.#target, this.#d)
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
        this.#d.error('service', key, field, `invalid server URL ${JSON.stringify(server.url ?? '')}`)
        return null
      }
      this.#checkServer(key, field, url)
      servers.push({
        url: server.url!,
        weight: server.weight ?? 1,
        preservePath: server.preservePath === true,
        fenced: server.fenced === true,
        up: true,
      })
    }
    this.out.endpoints[key] = { servers }
    const passHostHeader = lb.passHostHeader ?? true
    if (passHostHeader && this.#target === 'cloudflare') {
      this.#d.warn(
        'service',
        key,
        'loadBalancer.passHostHeader',
        "Cloudflare only sends the client's Host to an upstream inside the zone; elsewhere the upstream gets its own host",
      )
    }
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

  #checkServer(key: string, field: string, url: URL): void {
    if (url.protocol === 'h2c:') {
      this.#d.warn('service', key, field, 'h2c is spoken as HTTP/1.1: the runtime has no HTTP/2 client')
    } else if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.#d.error('service', key, field, `scheme ${url.protocol} is not supported`)
    }
    if (this.#target === 'cloudflare' && isIpLiteral(url.hostname)) {
      this.#d.error('service', key, field, 'Cloudflare refuses fetches to IP addresses (error 1003): use a hostname in the zone or a tunnel')
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

function isIpLiteral(hostname: string): boolean {
  return hostname.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)
}
