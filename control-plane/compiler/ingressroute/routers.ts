/**
 * IngressRoutes to routers and their services (Traefik's `loadIngressRouteConfiguration`,
 * pkg/provider/kubernetes/crd/kubernetes_http.go). Each route is its own unit of failure: a bad route is skipped
 * with a diagnostic and the others stay.
 *
 * @module
 */

import type { Router, RouterTLSConfig } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { IngressRoute, Route } from '../crd/types.ts'
import { FieldError, fieldPath, type ObjectRef } from '../diagnostics/diagnostics.ts'
import { routerKey } from '../naming/naming.ts'
import { resolveReference } from '../references/references.ts'
import { nameAndService } from '../services/load-balancer.ts'
import type { Warn } from '../services/servers.ts'
import { buildWeighted } from '../services/traefik-service.ts'
import { namespaceOf } from '../snapshot/snapshot.ts'
import { ingressClassOf, shouldProcess } from './ingress-class.ts'
import { parentRouterKeys } from './parent-refs.ts'

/** Side work on an IngressRoute that never drops it, such as loading its TLS secret. */
export type IngressRouteHook = (ctx: CompileContext, ir: IngressRoute, ref: ObjectRef) => void

export function buildIngressRoutes(ctx: CompileContext, onTLS?: IngressRouteHook): void {
  for (const ir of ctx.index.ingressRoutes) buildOneIngressRoute(ctx, ir, onTLS)
}

/** One IngressRoute's routers and services (what the loop above does for each). */
export function buildOneIngressRoute(ctx: CompileContext, ir: IngressRoute, onTLS?: IngressRouteHook): void {
  // Another class's IngressRoute is none of this provider's business: skipped silently.
  if (!shouldProcess(ctx.options.ingressClass, ingressClassOf(ir))) return
  const ref = ctx.index.ref(ir)
  try {
    buildIngressRoute(ctx, ir, ref, onTLS)
  } catch (err) {
    ctx.diagnostics.fromError(ref, err, 'spec')
  }
}

function buildIngressRoute(ctx: CompileContext, ir: IngressRoute, ref: ObjectRef, onTLS: IngressRouteHook | undefined): void {
  const spec = ir.spec ?? {}
  if (spec.tls !== undefined && spec.tls !== null && onTLS !== undefined) {
    try {
      onTLS(ctx, ir, ref)
    } catch (err) {
      ctx.diagnostics.fromError(ref, err, 'spec.tls.secretName')
    }
  }

  let parents: string[]
  try {
    parents = parentRouterKeys(ctx, ir)
  } catch (err) {
    ctx.diagnostics.fromError(ref, err, 'spec.parentRefs', 'every route of this IngressRoute is skipped')
    return
  }

  const namespace = namespaceOf(ir)
  const ingressName = ir.metadata?.name || ir.metadata?.generateName || ''
  const warn: Warn = (field, message) => ctx.diagnostics.warn(ref, field, message)
  ;(spec.routes ?? []).forEach((route, i) => {
    const field = fieldPath('spec', 'routes', i)
    try {
      buildRoute(ctx, ir, route ?? {}, { namespace, ingressName, parents, field, warn })
    } catch (err) {
      ctx.diagnostics.fromError(ref, err, field, 'route skipped')
    }
  })
}

interface RouteScope {
  namespace: string
  ingressName: string
  parents: string[]
  field: string
  warn: Warn
}

function buildRoute(ctx: CompileContext, ir: IngressRoute, route: Route, s: RouteScope): void {
  const { namespace, field, warn } = s
  const kind = route.kind ?? ''
  if (kind !== '' && kind !== 'Rule') {
    throw new FieldError(fieldPath(field, 'kind'), `unsupported route kind "${kind}" (only Rule)`)
  }
  const match = route.match ?? ''
  if (match === '') throw new FieldError(fieldPath(field, 'match'), 'empty match rule')

  const middlewares = (route.middlewares ?? []).map((m, j) => resolveReference(ctx.options, namespace, m ?? {}, fieldPath(field, 'middlewares', j), warn))

  const key = routerKey(namespace, s.ingressName, match)
  let service = key
  const services = route.services ?? []
  if (services.length > 1) {
    buildWeighted(ctx, namespace, key, services, fieldPath(field, 'services'), warn)
  } else if (services.length === 1) {
    const named = nameAndService(ctx, namespace, services[0] ?? {}, fieldPath(field, 'services', 0), warn)
    if (named.service !== undefined) ctx.config.http.services[key] = named.service
    else service = named.name
  } else {
    service = ''
  }

  // Keys in Traefik's JSON order, for output that reads like Traefik's.
  const router = {} as Router
  const entryPoints = ir.spec?.entryPoints
  // The object's own list, not a copy: 100k routers need not hold their entry points twice (no
  // stage changes a list it is given).
  if (Array.isArray(entryPoints) && entryPoints.length > 0) router.entryPoints = entryPoints
  if (middlewares.length > 0) router.middlewares = middlewares
  if (service !== '') router.service = service
  router.rule = match
  if (typeof route.priority === 'number' && route.priority !== 0) router.priority = route.priority
  if (route.syntax) router.ruleSyntax = route.syntax
  const o = route.observability
  if (o !== undefined && o !== null) {
    router.observability = {}
    if (typeof o.accessLogs === 'boolean') router.observability.accessLogs = o.accessLogs
    if (typeof o.metrics === 'boolean') router.observability.metrics = o.metrics
    if (typeof o.tracing === 'boolean') router.observability.tracing = o.tracing
    if (o.traceVerbosity) router.observability.traceVerbosity = o.traceVerbosity
  }
  const tls = ir.spec?.tls
  if (tls !== undefined && tls !== null) router.tls = routerTLS(ctx, ir, namespace, warn)
  if (s.parents.length > 0) router.parentRefs = [...s.parents]

  ctx.config.http.routers[key] = router
}

function routerTLS(ctx: CompileContext, ir: IngressRoute, namespace: string, warn: Warn): RouterTLSConfig {
  const tls = ir.spec!.tls!
  const out: RouterTLSConfig = {}
  if (tls.certResolver) out.certResolver = tls.certResolver
  if (tls.domains && tls.domains.length > 0) {
    out.domains = tls.domains.map((d) => ({ ...d, ...(d?.sans ? { sans: [...d.sans] } : {}) }))
  }
  if (tls.options?.name) {
    out.options = resolveReference(ctx.options, namespace, tls.options, 'spec.tls.options', warn)
  }
  return out
}
