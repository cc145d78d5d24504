/**
 * A service reference (`LoadBalancerSpec`) to its dynamic service: a servers load balancer for
 * a Kubernetes Service, or just a name for a TraefikService (Traefik's `nameAndService` and
 * `buildServersLB`,
 * pkg/provider/kubernetes/crd/kubernetes_http.go).
 *
 * @module
 */

import { formatDuration, parseDurationValue } from '../../../shared/dynamic/duration.ts'
import type { Cookie, PassiveServerHealthCheck, ServerHealthCheck, Service, ServersLoadBalancer, Sticky } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { IntOrString, LoadBalancerSpec } from '../crd/types.ts'
import { FieldError, fieldPath } from '../diagnostics/diagnostics.ts'
import { kubeServiceKey, traefikServiceKey } from '../naming/naming.ts'
import { checkCrossProvider, isNamespaceAllowed, resolveReference, resolveServersTransport } from '../references/references.ts'
import { loadServers, type Warn } from './servers.ts'

const STRATEGIES = new Set(['wrr', 'p2c', 'hrw', 'leasttime'])

export const DEFAULT_FLUSH_INTERVAL_NS = 100e6

export interface NamedService {
  /** Key of the service in `http.services` (or a reference to a TraefikService). */
  name: string
  /** The load balancer to store under `name`; undefined for a TraefikService reference. */
  service?: Service
}

/**
 * Resolves a service reference held by an object in `parentNamespace`. Does not store
 * anything: the caller decides where the load balancer goes. Throws FieldError.
 */
export function nameAndService(ctx: CompileContext, parentNamespace: string, spec: LoadBalancerSpec, field: string, warn: Warn = () => {}): NamedService {
  const name = spec.name ?? ''
  const namespace = spec.namespace || parentNamespace
  if (name.includes('@')) {
    // Qualified names skip the namespace check; only the holder's cross-provider right counts.
    checkCrossProvider(ctx.options, parentNamespace, name, fieldPath(field, 'name'))
  } else if (!isNamespaceAllowed(ctx.options, parentNamespace, namespace)) {
    throw new FieldError(
      fieldPath(field, 'namespace'),
      `service ${namespace}/${name} is not in the parent resource namespace ${parentNamespace} ` + `(allowCrossNamespace is false)`,
    )
  }
  const kind = spec.kind ?? ''
  if (kind === '' || kind === 'Service') {
    const service = buildServersLB(ctx, namespace, spec, field, warn)
    return { name: kubeServiceKey(namespace, name, spec.port ?? ''), service }
  }
  if (kind === 'TraefikService') {
    if (name.includes('@') && spec.namespace) {
      warn(fieldPath(field, 'namespace'), `namespace "${spec.namespace}" is ignored for the cross-provider reference "${name}"`)
    }
    // A `x@kubernetescrd` name keeps the literal (often empty) namespace, as Traefik does.
    return { name: traefikServiceKey(name.includes('@') ? (spec.namespace ?? '') : namespace, name) }
  }
  throw new FieldError(fieldPath(field, 'kind'), `unsupported service kind "${kind}"`)
}

/** The servers load balancer of a Kubernetes Service reference in `namespace`. */
export function buildServersLB(ctx: CompileContext, namespace: string, spec: LoadBalancerSpec, field: string, warn: Warn = () => {}): Service {
  let strategy = 'wrr'
  const wanted = spec.strategy ?? ''
  if (STRATEGIES.has(wanted)) {
    strategy = wanted
  } else if (wanted === 'RoundRobin') {
    warn(fieldPath(field, 'strategy'), 'strategy RoundRobin is deprecated; use wrr')
  } else if (wanted !== '') {
    throw new FieldError(fieldPath(field, 'strategy'), `load balancing strategy "${wanted}" is not supported (wrr, p2c, hrw or leasttime)`)
  }

  const servers = loadServers(ctx, namespace, spec, field, warn)
  if (servers.length === 0 && !ctx.options.allowEmptyServices) {
    throw new FieldError(fieldPath(field, 'name'), `no servers found for service ${namespace}/${spec.name ?? ''} (allowEmptyServices is false)`)
  }

  let flushInterval = DEFAULT_FLUSH_INTERVAL_NS
  const flush = spec.responseForwarding?.flushInterval
  if (flush !== undefined && flush !== '') {
    flushInterval = duration(flush, fieldPath(field, 'responseForwarding', 'flushInterval'), 'unable to parse flushInterval')
  }
  const transport = resolveServersTransport(ctx.options, namespace, spec.serversTransport ?? '', fieldPath(field, 'serversTransport'))

  // Keys in Traefik's JSON order, for output that reads like Traefik's.
  const lb = {} as ServersLoadBalancer
  const sticky = stickyWithDefaults(spec.sticky)
  if (sticky !== undefined) lb.sticky = sticky
  if (servers.length > 0) lb.servers = servers
  lb.strategy = strategy
  if (spec.healthCheck !== undefined && spec.healthCheck !== null) {
    lb.healthCheck = healthCheck(spec, fieldPath(field, 'healthCheck'))
  }
  if (spec.passiveHealthCheck !== undefined && spec.passiveHealthCheck !== null) {
    lb.passiveHealthCheck = passiveHealthCheck(spec, fieldPath(field, 'passiveHealthCheck'))
  }
  lb.passHostHeader = typeof spec.passHostHeader === 'boolean' ? spec.passHostHeader : true
  lb.responseForwarding = { flushInterval: formatDuration(flushInterval) }
  if (transport !== '') lb.serversTransport = transport

  const service: Service = { loadBalancer: lb }
  const middlewares = spec.middlewares ?? []
  if (middlewares.length > 0) {
    service.middlewares = middlewares.map((ref, i) => resolveReference(ctx.options, namespace, ref ?? {}, fieldPath(field, 'middlewares', i), warn))
  }
  return service
}

/** A sticky cookie with `path` defaulting to `/`; nothing at all without a cookie. */
export function stickyWithDefaults(sticky: { cookie?: Cookie } | undefined | null): Sticky | undefined {
  const cookie = sticky?.cookie
  if (cookie === undefined || cookie === null) return undefined
  return { cookie: { ...cookie, path: cookie.path ?? '/' } }
}

function healthCheck(spec: LoadBalancerSpec, field: string): ServerHealthCheck {
  const hc = spec.healthCheck!
  const out: ServerHealthCheck = {}
  if (hc.scheme) out.scheme = hc.scheme
  // Traefik's defaults say `http`, then any explicit value other than `http` replaces it, so an
  // unset mode comes out empty.
  out.mode = hc.mode === 'http' ? 'http' : (hc.mode ?? '')
  if (out.mode === '') delete out.mode
  if (hc.path) out.path = hc.path
  if (hc.method) out.method = hc.method
  if (hc.status) out.status = hc.status
  if (hc.port) out.port = hc.port
  if (hc.hostname) out.hostname = hc.hostname
  if (hc.headers) out.headers = { ...hc.headers }
  out.followRedirects = hc.followRedirects ?? true
  const interval = hc.interval !== undefined && hc.interval !== null ? duration(hc.interval, fieldPath(field, 'interval')) : 30e9
  out.interval = formatDuration(interval)
  out.timeout = formatDuration(hc.timeout !== undefined && hc.timeout !== null ? duration(hc.timeout, fieldPath(field, 'timeout')) : 5e9)
  out.unhealthyInterval = formatDuration(
    hc.unhealthyInterval !== undefined && hc.unhealthyInterval !== null ? duration(hc.unhealthyInterval, fieldPath(field, 'unhealthyInterval')) : interval,
  )
  return out
}

function passiveHealthCheck(spec: LoadBalancerSpec, field: string): PassiveServerHealthCheck {
  const p = spec.passiveHealthCheck!
  const window = p.failureWindow !== undefined && p.failureWindow !== null ? duration(p.failureWindow, fieldPath(field, 'failureWindow')) : 10e9
  return {
    failureWindow: formatDuration(window),
    maxFailedAttempts: p.maxFailedAttempts ?? 1,
  }
}

/** Parses a CRD duration (a bare integer is seconds) or throws a FieldError at `field`. */
export function duration(value: IntOrString, field: string, prefix = 'invalid duration'): number {
  try {
    return parseDurationValue(value)
  } catch (err) {
    throw new FieldError(field, `${prefix}: ${(err as Error).message}`)
  }
}
