/**
 * The `errors` middleware: its page service is a service reference resolved in the
 * Middleware's namespace (pkg/provider/kubernetes/crd/kubernetes.go's
 * createErrorPageMiddleware). A Kubernetes Service gets its own load balancer,
 * stored as `<middlewareId>-errorpage-service`; a TraefikService is referenced by name.
 *
 * @module
 */

import type { ErrorPage } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { MiddlewareSpec } from '../crd/types.ts'
import { nameAndService } from '../services/load-balancer.ts'
import type { Warn } from '../services/servers.ts'

export function errorPageServiceName(middlewareId: string): string {
  return `${middlewareId}-errorpage-service`
}

/** Stores the page's load balancer in `http.services` when it has one; throws on any service error. */
export function errorPage(ctx: CompileContext, namespace: string, middlewareId: string, spec: NonNullable<MiddlewareSpec['errors']>, warn: Warn): ErrorPage {
  const named = nameAndService(ctx, namespace, spec.service ?? {}, 'spec.errors.service', warn)
  let service = named.name
  if (named.service !== undefined) {
    service = errorPageServiceName(middlewareId)
    ctx.config.http.services[service] = named.service
  }
  const out: ErrorPage = {}
  if (Array.isArray(spec.status) && spec.status.length > 0) out.status = [...spec.status]
  if (spec.statusRewrites && Object.keys(spec.statusRewrites).length > 0) {
    out.statusRewrites = { ...spec.statusRewrites }
  }
  out.service = service
  if (spec.query) out.query = spec.query
  if (Array.isArray(spec.errorRequestHeaders) && spec.errorRequestHeaders.length > 0) {
    out.errorRequestHeaders = [...spec.errorRequestHeaders]
  }
  return out
}
