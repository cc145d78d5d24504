/**
 * TraefikService objects and multi-service routes (Traefik's `buildTraefikService`,
 * `buildServicesLB`, `buildMirroring`, `buildHRW`, `buildFailover`;
 * pkg/provider/kubernetes/crd/kubernetes_http.go).
 *
 * Children that are Kubernetes Services are stored in `http.services` as they are built: when a
 * later child fails, the parent is dropped but the earlier children stay, as in Traefik.
 *
 * @module
 */

import type { Service, Sticky, WRRService } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { LoadBalancerSpec, TraefikService } from '../crd/types.ts'
import { FieldError, fieldPath } from '../diagnostics/diagnostics.ts'
import { makeID, normalize } from '../naming/naming.ts'
import { nameOf, namespaceOf } from '../snapshot/snapshot.ts'
import { nameAndService, stickyWithDefaults, type NamedService } from './load-balancer.ts'
import type { Warn } from './servers.ts'

/** Builds every TraefikService; a failing one is dropped with a diagnostic. */
export function buildTraefikServices(ctx: CompileContext): void {
  for (const ts of ctx.index.traefikServices) buildOneTraefikService(ctx, ts)
}

/** One TraefikService object (what the loop above does for each). */
export function buildOneTraefikService(ctx: CompileContext, ts: TraefikService): void {
  const ref = ctx.index.ref(ts)
  const warn: Warn = (field, message) => ctx.diagnostics.warn(ref, field, message)
  try {
    buildTraefikService(ctx, ts, warn)
  } catch (err) {
    ctx.diagnostics.fromError(ref, err, 'spec', 'TraefikService skipped')
  }
}

function buildTraefikService(ctx: CompileContext, ts: TraefikService, warn: Warn): void {
  const namespace = namespaceOf(ts)
  const id = normalize(makeID(namespace, nameOf(ts)))
  const spec = ts.spec ?? {}
  if (spec.weighted) {
    buildWeighted(ctx, namespace, id, spec.weighted.services ?? [], 'spec.weighted.services', warn, stickyWithDefaults(spec.weighted.sticky))
  } else if (spec.mirroring) {
    buildMirroring(ctx, namespace, id, spec.mirroring, warn)
  } else if (spec.highestRandomWeight) {
    const services = children(ctx, namespace, spec.highestRandomWeight.services ?? [], 'spec.highestRandomWeight.services', warn)
    ctx.config.http.services[id] = { highestRandomWeight: { services } }
  } else if (spec.failover) {
    buildFailover(ctx, namespace, id, spec.failover, warn)
  } else {
    throw new FieldError('spec', 'unspecified service type (one of weighted, mirroring, highestRandomWeight or failover)')
  }
}

/**
 * A weighted round robin of `specs` stored under `id`: a weighted TraefikService, or a route
 * with several services.
 */
export function buildWeighted(
  ctx: CompileContext,
  namespace: string,
  id: string,
  specs: readonly LoadBalancerSpec[],
  field: string,
  warn: Warn,
  sticky?: Sticky,
): void {
  const services = children(ctx, namespace, specs, field, warn)
  const weighted: NonNullable<Service['weighted']> = { services }
  if (sticky !== undefined) weighted.sticky = sticky
  ctx.config.http.services[id] = { weighted }
}

/** Resolves children with weights (nil gives 1, 0 stays 0), storing each Kubernetes LB. */
function children(ctx: CompileContext, namespace: string, specs: readonly LoadBalancerSpec[], field: string, warn: Warn): WRRService[] {
  return specs.map((spec, i) => {
    const child = store(ctx, nameAndService(ctx, namespace, spec ?? {}, fieldPath(field, i), warn))
    return { name: child, weight: spec?.weight ?? 1 }
  })
}

function store(ctx: CompileContext, named: NamedService): string {
  if (named.service !== undefined) ctx.config.http.services[named.name] = named.service
  return named.name
}

function buildMirroring(
  ctx: CompileContext,
  namespace: string,
  id: string,
  spec: NonNullable<NonNullable<TraefikService['spec']>['mirroring']>,
  warn: Warn,
): void {
  const main = store(ctx, nameAndService(ctx, namespace, spec, 'spec.mirroring', warn))
  const mirrors = (spec.mirrors ?? []).map((m, i) => {
    const name = store(ctx, nameAndService(ctx, namespace, m ?? {}, fieldPath('spec.mirroring.mirrors', i), warn))
    return m?.percent ? { name, percent: m.percent } : { name }
  })
  const mirroring: NonNullable<Service['mirroring']> = { service: main, mirrors }
  if (spec.mirrorBody !== undefined && spec.mirrorBody !== null) mirroring.mirrorBody = spec.mirrorBody
  if (spec.maxBodySize !== undefined && spec.maxBodySize !== null) mirroring.maxBodySize = spec.maxBodySize
  ctx.config.http.services[id] = { mirroring }
}

function buildFailover(
  ctx: CompileContext,
  namespace: string,
  id: string,
  spec: NonNullable<NonNullable<TraefikService['spec']>['failover']>,
  warn: Warn,
): void {
  // Both sides resolve before anything is stored: a failing fallback leaves no leak.
  const main = nameAndService(ctx, namespace, spec.service ?? {}, 'spec.failover.service', warn)
  const fallback = nameAndService(ctx, namespace, spec.fallback ?? {}, 'spec.failover.fallback', warn)
  const errors: NonNullable<NonNullable<Service['failover']>['errors']> = {}
  if (spec.errors?.status) errors.status = spec.errors.status
  if (spec.errors?.maxRequestBodyBytes !== undefined && spec.errors.maxRequestBodyBytes !== null) {
    errors.maxRequestBodyBytes = spec.errors.maxRequestBodyBytes
  }
  ctx.config.http.services[id] = { failover: { service: main.name, fallback: fallback.name, errors } }
  store(ctx, main)
  store(ctx, fallback)
}
