/**
 * Traefik's runtime configuration, as its API serves it: the dynamic configuration of each
 * router, service and middleware (qualified names, `name@provider`), with what building it found:
 * `status` (`enabled`, `disabled`, `warning`), `error` (messages), `using` (a router's entry
 * points), `usedBy` (the routers using a service or middleware) and `serverStatus` (a load
 * balancer's servers, `UP` or `DOWN`). JSON all the way down, in Traefik's field names
 * (pkg/config/runtime), so the control plane can publish it and the worker serve it.
 *
 * The functions below are Traefik's bookkeeping on that structure (runtime.go, runtime_http.go):
 * the control plane's builder (control-plane/api/runtime.ts) runs them as Traefik's server does,
 * and the API tests run them on Traefik's own test inputs.
 *
 * @module
 */

export const STATUS_ENABLED = 'enabled'
export const STATUS_DISABLED = 'disabled'
export const STATUS_WARNING = 'warning'

/** What every runtime element carries besides its dynamic configuration. */
export interface RuntimeInfo {
  error?: string[]
  status?: string
}

export interface RouterInfo extends RuntimeInfo {
  entryPoints?: string[]
  middlewares?: string[]
  service?: string
  rule?: string
  ruleSyntax?: string
  priority?: number
  tls?: { options?: string; certResolver?: string; domains?: unknown[]; passthrough?: boolean }
  observability?: Record<string, unknown>
  parentRefs?: string[]
  /** Entry points the router is effectively served on. */
  using?: string[]
  [field: string]: unknown
}

export interface ServiceInfo extends RuntimeInfo {
  usedBy?: string[]
  /** Server URL (or address) -> `UP`/`DOWN`, as the health checks last said. */
  serverStatus?: Record<string, string>
  [field: string]: unknown
}

export interface MiddlewareInfo extends RuntimeInfo {
  usedBy?: string[]
  [field: string]: unknown
}

export interface RuntimeConfiguration {
  routers?: Record<string, RouterInfo>
  middlewares?: Record<string, MiddlewareInfo>
  services?: Record<string, ServiceInfo>
  tcpRouters?: Record<string, RouterInfo>
  tcpMiddlewares?: Record<string, MiddlewareInfo>
  tcpServices?: Record<string, ServiceInfo>
  udpRouters?: Record<string, RouterInfo>
  udpServices?: Record<string, ServiceInfo>
}

/** Adds a message once; a critical one disables the element, another warns unless it is disabled already. */
export function addError(info: RuntimeInfo, message: string, critical: boolean): void {
  if (info.error?.includes(message)) return
  ;(info.error ??= []).push(message)
  if (critical) info.status = STATUS_DISABLED
  else if (info.status !== STATUS_DISABLED) info.status = STATUS_WARNING
}

/** The provider part of a qualified name (`auth@file` -> `file`), or '' when there is none. */
export function providerOf(name: string): string {
  const parts = name.split('@')
  return parts.length > 1 ? parts[1]! : ''
}

/** A reference as seen from `provider`: qualified with it unless it names one already. */
export function qualifiedName(provider: string, name: string): string {
  return name.includes('@') ? name : `${name}@${provider}`
}

/**
 * Fills `usedBy` of the services and middlewares the routers name (sorted), and sets the status
 * of elements that have none to `enabled`, as Traefik's PopulateUsedBy does.
 */
export function populateUsedBy(c: RuntimeConfiguration): void {
  usedByOf(c.routers, c.services, c.middlewares, true)
  usedByOf(c.tcpRouters, c.tcpServices, c.tcpMiddlewares, false)
  usedByOf(c.udpRouters, c.udpServices, undefined, false)
}

function usedByOf(
  routers: Record<string, RouterInfo> | undefined,
  services: Record<string, ServiceInfo> | undefined,
  middlewares: Record<string, MiddlewareInfo> | undefined,
  withMiddlewares: boolean,
): void {
  for (const [name, router] of Object.entries(routers ?? {})) {
    router.status ||= STATUS_ENABLED
    const provider = providerOf(name)
    if (provider === '') continue
    if (withMiddlewares) {
      for (const mw of router.middlewares ?? []) {
        const m = middlewares?.[qualifiedName(provider, mw)]
        if (m) (m.usedBy ??= []).push(name)
      }
    }
    const s = services?.[qualifiedName(provider, router.service ?? '')]
    if (s) (s.usedBy ??= []).push(name)
  }
  for (const s of Object.values(services ?? {})) {
    s.status ||= STATUS_ENABLED
    s.usedBy?.sort(byteOrder)
  }
  for (const m of Object.values(middlewares ?? {})) {
    m.status ||= STATUS_ENABLED
    m.usedBy?.sort(byteOrder)
  }
}

/**
 * The routers each of `entryPoints` serves (TLS routers when `tls`, the others otherwise), as
 * Traefik's GetRoutersByEntryPoints: a router naming an entry point that does not exist gets a
 * warning, one with none left is disabled, and `using` lists the ones it is served on.
 */
export function routersByEntryPoints(c: RuntimeConfiguration, entryPoints: readonly string[], tls: boolean): Map<string, Map<string, RouterInfo>> {
  const out = new Map<string, Map<string, RouterInfo>>()
  for (const [name, router] of Object.entries(c.routers ?? {})) {
    if (tls !== (router.tls !== undefined && router.tls !== null)) continue
    let count = 0
    for (const ep of router.entryPoints ?? []) {
      if (!entryPoints.includes(ep)) {
        addError(router, `entryPoint ${goQuote(ep)} doesn't exist`, false)
        continue
      }
      let routers = out.get(ep)
      if (!routers) out.set(ep, (routers = new Map()))
      count++
      ;(router.using ??= []).push(ep)
      routers.set(name, router)
    }
    if (count === 0 && router.parentRefs === undefined) addError(router, 'no valid entryPoint for this router', true)
    if (router.using) router.using = [...new Set(router.using)].sort(byteOrder)
  }
  return out
}

/** Go's sort.Strings order (bytes; the same as UTF-16 units for the names used here). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Go's %q of a string: JSON's quoting is the same for the printable text names are made of. */
export function goQuote(s: string): string {
  return JSON.stringify(s)
}
