/**
 * Traefik's healthCheck of a load-balancer service, with its defaults applied, as the checker
 * runs it: one plan per service that has a healthCheck, listing the servers to probe.
 *
 * Defaults and fallbacks are Traefik's (pkg/healthcheck NewServiceHealthChecker): interval 30s,
 * unhealthyInterval = interval when unset (<= 0: 30s), timeout 5s (<= 0: 5s), method GET,
 * followRedirects true, mode http.
 *
 * @module
 */
import { durationToNs } from '../../shared/dynamic/duration.ts'
import type { DynamicConfig, ServerHealthCheck, ServersTransport } from '../../shared/dynamic/types.ts'

export const DEFAULT_INTERVAL_MS = 30_000
export const DEFAULT_TIMEOUT_MS = 5_000

export interface HealthCheckSpec {
  mode: 'http' | 'grpc'
  /** Replaces the server URL's scheme when set. */
  scheme: string
  /** Resolved against the server URL (Go's URL.Parse): `/health`, `health?x=1`, `''`. */
  path: string
  method: string
  /** 0: any 2xx or 3xx. */
  status: number
  /** 0: the server's port. */
  port: number
  /** The Host the check sends; '' = the URL's. */
  hostname: string
  followRedirects: boolean
  headers: Record<string, string>
  timeoutMs: number
}

/** How the checker reaches a server over TLS (the service's serversTransport). */
export interface ProbeTls {
  serverName?: string
  insecureSkipVerify: boolean
  /** PEM. */
  ca?: string[]
  /** The transport's (first) client certificate and key, PEM. */
  cert?: string
  key?: string
}

export interface HealthPlan {
  /** The service's key in the dynamic configuration (and in the edge table). */
  service: string
  intervalMs: number
  unhealthyIntervalMs: number
  check: HealthCheckSpec
  tls: ProbeTls
  /** Server URLs, as the table's servers name them. */
  servers: string[]
}

/** One plan per load-balancer service with a healthCheck and at least one server. */
export function healthPlans(config: DynamicConfig): HealthPlan[] {
  const plans: HealthPlan[] = []
  for (const service of Object.keys(config.http?.services ?? {})) {
    const plan = healthPlanOf(config, service)
    if (plan) plans.push(plan)
  }
  return plans
}

/** The plan of one service of the configuration, or null when it has no check to run. */
export function healthPlanOf(config: DynamicConfig, service: string): HealthPlan | null {
  const http = config.http ?? {}
  const lb = http.services?.[service]?.loadBalancer
  if (!lb?.healthCheck) return null
  const servers = (lb.servers ?? []).map((s) => s.url).filter((u): u is string => typeof u === 'string' && u !== '')
  if (servers.length === 0) return null
  const transport = lb.serversTransport ? http.serversTransports?.[lb.serversTransport] : undefined
  return planOf(service, lb.healthCheck, servers, transport)
}

export function planOf(service: string, hc: ServerHealthCheck, servers: string[], transport?: ServersTransport): HealthPlan {
  const interval = positiveMs(hc.interval, DEFAULT_INTERVAL_MS)
  return {
    service,
    intervalMs: interval,
    unhealthyIntervalMs: hc.unhealthyInterval === undefined ? interval : positiveMs(hc.unhealthyInterval, DEFAULT_INTERVAL_MS),
    check: {
      mode: hc.mode === 'grpc' ? 'grpc' : 'http',
      scheme: hc.scheme ?? '',
      path: hc.path ?? '',
      method: hc.method || 'GET',
      status: hc.status ?? 0,
      port: hc.port ?? 0,
      hostname: hc.hostname ?? '',
      followRedirects: hc.followRedirects ?? true,
      headers: { ...hc.headers },
      timeoutMs: positiveMs(hc.timeout, DEFAULT_TIMEOUT_MS),
    },
    tls: {
      insecureSkipVerify: transport?.insecureSkipVerify === true,
      ...(transport?.serverName ? { serverName: transport.serverName } : {}),
      ...(transport?.rootCAs?.length ? { ca: transport.rootCAs } : {}),
      ...(transport?.certificates?.[0]?.certFile && transport.certificates[0].keyFile
        ? { cert: transport.certificates[0].certFile, key: transport.certificates[0].keyFile }
        : {}),
    },
    servers,
  }
}

/** A duration in ms; unset, unparsable or <= 0 gives the fallback (Traefik logs and uses the default). */
function positiveMs(value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback
  try {
    const ns = typeof value === 'number' ? value : durationToNs(value)
    return ns > 0 ? Math.max(1, Math.round(ns / 1e6)) : fallback
  } catch {
    return fallback
  }
}

/** Where a check goes: Go's req.URL.String() and req.Host (the authority as written, explicit default port kept). */
export interface CheckTarget {
  href: string
  host: string
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/

/**
 * The check's target: the path resolved against the server URL (Go's URL.Parse), then scheme and
 * port replaced. Throws where Go's parser refuses the path (a leading colon, a colon in a first
 * segment that is not a scheme), which the WHATWG parser would take as a relative path.
 */
export function checkTarget(server: string, check: Pick<HealthCheckSpec, 'path' | 'scheme' | 'port'>): CheckTarget {
  const path = check.path
  const first = /^[^/?#]*/.exec(path)![0]
  if (first.startsWith(':')) throw new Error(`parse ${JSON.stringify(path)}: missing protocol scheme`)
  if (first.includes(':') && !SCHEME.test(first)) throw new Error(`parse ${JSON.stringify(path)}: first path segment in URL cannot contain colon`)
  const u = new URL(path, server)
  const written = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)/.exec(SCHEME.test(path) ? path : server)?.[1] ?? u.host
  const host = check.port ? `${u.hostname}:${check.port}` : written
  const scheme = check.scheme || u.protocol.slice(0, -1)
  return { href: `${scheme}://${host}${u.pathname}${u.search}`, host }
}
