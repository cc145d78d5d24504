/**
 * Middleware objects to `http.middlewares` (Traefik's middleware loop in
 * `loadConfigurationFromCRD`,
 * pkg/provider/kubernetes/crd/kubernetes.go). Each Middleware is its own unit of failure:
 * one that cannot be built is skipped with a diagnostic, and routers keep referring to it (as in
 * Traefik, existence is never checked). Every field set in the spec is emitted, so a spec with
 * several types gives a middleware with several types, as Traefik's provider does.
 *
 * Runs after the TLS options and before the TraefikServices: error pages add services.
 *
 * @module
 */

import type { Compress, Middleware } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { Middleware as MiddlewareObject, MiddlewareSpec } from '../crd/types.ts'
import { fieldPath, type ObjectRef } from '../diagnostics/diagnostics.ts'
import { makeID, normalize } from '../naming/naming.ts'
import { resolveReference } from '../references/references.ts'
import type { Warn } from '../services/servers.ts'
import { nameOf, namespaceOf } from '../snapshot/snapshot.ts'
import { basicAuth, digestAuth, forwardAuth } from './auth.ts'
import { errorPage } from './error-page.ts'
import { plugins } from './plugin.ts'
import { rateLimit } from './rate-limit.ts'
import { circuitBreaker, retry } from './resilience.ts'
import { copyData, copySourceCriterion } from './values.ts'

/** Compress's default encodings, in preference order. */
export const DEFAULT_COMPRESS_ENCODINGS: readonly string[] = ['gzip', 'br', 'zstd']

/** Types whose dynamic configuration is embedded in the CRD as it is. */
const COPIED = [
  'addPrefix',
  'stripPrefix',
  'stripPrefixRegex',
  'replacePath',
  'replacePathRegex',
  'ipWhiteList',
  'ipAllowList',
  'headers',
  'redirectRegex',
  'redirectScheme',
  'passTLSClientCert',
  'contentType',
  'grpcWeb',
  'encodedCharacters',
  'buffering',
] as const

export function middlewareID(namespace: string, name: string): string {
  return normalize(makeID(namespace, name))
}

/** Builds every Middleware into `ctx.config.http.middlewares`. */
export function buildMiddlewares(ctx: CompileContext): void {
  for (const obj of ctx.index.middlewares) buildOneMiddleware(ctx, obj)
}

/** One Middleware object (what the loop above does for each). */
export function buildOneMiddleware(ctx: CompileContext, obj: MiddlewareObject): void {
  const ref = ctx.index.ref(obj)
  const id = middlewareID(namespaceOf(obj), nameOf(obj))
  try {
    ctx.config.http.middlewares[id] = buildMiddleware(ctx, obj, id, ref)
  } catch (err) {
    ctx.diagnostics.fromError(ref, err, 'spec', 'Middleware skipped')
  }
}

function buildMiddleware(ctx: CompileContext, obj: MiddlewareObject, id: string, ref: ObjectRef): Middleware {
  const spec: MiddlewareSpec = obj.spec ?? {}
  const namespace = namespaceOf(obj)
  const warn: Warn = (field, message) => ctx.diagnostics.warn(ref, field, message)
  const out: Middleware = {}
  const set = <K extends keyof MiddlewareSpec>(k: K): boolean => spec[k] !== undefined && spec[k] !== null

  for (const k of COPIED) {
    if (set(k)) (out as Record<string, unknown>)[k] = copyData(spec[k])
  }
  if (set('ipWhiteList')) warn('spec.ipWhiteList', 'ipWhiteList is deprecated; use ipAllowList')
  if (set('chain')) {
    out.chain = {
      middlewares: (spec.chain!.middlewares ?? []).map((m, i) =>
        resolveReference(ctx.options, namespace, m ?? {}, fieldPath('spec.chain.middlewares', i), warn),
      ),
    }
  }
  if (set('errors')) out.errors = errorPage(ctx, namespace, id, spec.errors!, warn)
  if (set('rateLimit')) out.rateLimit = rateLimit(ctx, namespace, spec.rateLimit!)
  if (set('inFlightReq')) {
    const { amount, sourceCriterion } = spec.inFlightReq!
    out.inFlightReq = {}
    if (typeof amount === 'number') out.inFlightReq.amount = amount
    if (sourceCriterion) out.inFlightReq.sourceCriterion = copySourceCriterion(sourceCriterion)
  }
  if (set('basicAuth')) out.basicAuth = basicAuth(ctx, namespace, spec.basicAuth!)
  if (set('digestAuth')) out.digestAuth = digestAuth(ctx, namespace, spec.digestAuth!)
  if (set('forwardAuth')) out.forwardAuth = forwardAuth(ctx, namespace, spec.forwardAuth!)
  if (set('retry')) out.retry = retry(spec.retry!)
  if (set('circuitBreaker')) out.circuitBreaker = circuitBreaker(spec.circuitBreaker!)
  if (set('compress')) out.compress = compress(spec.compress!)
  if (set('plugin')) {
    out.plugin = plugins(ctx, namespace, spec.plugin!)
    warn(
      'spec.plugin',
      'plugin middlewares are not supported by this proxy: the configuration is ' + 'emitted as Traefik would, but the edge has no plugin to run',
    )
  }
  return out
}

function compress(spec: Compress): Compress {
  const out = copyData(spec)
  if (!Array.isArray(out.encodings) || out.encodings.length === 0) {
    out.encodings = [...DEFAULT_COMPRESS_ENCODINGS]
  }
  return out
}
