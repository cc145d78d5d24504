/**
 * The `rateLimit` middleware with Traefik's defaults, and its optional Redis store whose
 * credentials and TLS material come from Secrets in the Middleware's namespace
 * (pkg/provider/kubernetes/crd/kubernetes.go's createRateLimitMiddleware).
 *
 * @module
 */

import { formatDuration } from '../../../shared/dynamic/duration.ts'
import type { RateLimit, Redis } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { MiddlewareSpec } from '../crd/types.ts'
import { FieldError } from '../diagnostics/diagnostics.ts'
import { requireSecret, secretData } from '../tls/secret-material.ts'
import { clientTLS } from './client-tls.ts'
import { copySourceCriterion, durationOr } from './values.ts'

type RateLimitSpec = NonNullable<MiddlewareSpec['rateLimit']>
type RedisSpec = NonNullable<RateLimitSpec['redis']>

export function rateLimit(ctx: CompileContext, namespace: string, spec: RateLimitSpec): RateLimit {
  const out: RateLimit = {}
  out.average = typeof spec.average === 'number' ? spec.average : 0
  out.period = formatDuration(durationOr(spec.period, 'spec.rateLimit.period', 1e9))
  out.burst = typeof spec.burst === 'number' ? spec.burst : 1
  if (spec.sourceCriterion !== undefined && spec.sourceCriterion !== null) {
    out.sourceCriterion = copySourceCriterion(spec.sourceCriterion)
  }
  if (spec.redis !== undefined && spec.redis !== null) out.redis = redis(ctx, namespace, spec.redis)
  return out
}

function redis(ctx: CompileContext, namespace: string, spec: RedisSpec): Redis {
  const field = 'spec.rateLimit.redis'
  const out: Redis = {}
  out.endpoints = Array.isArray(spec.endpoints) && spec.endpoints.length > 0 ? [...spec.endpoints] : ['localhost:6379']
  if (spec.tls !== undefined && spec.tls !== null) out.tls = clientTLS(ctx, namespace, spec.tls, `${field}.tls`)
  if (spec.secret) {
    const data = secretData(requireSecret(ctx, namespace, spec.secret, `${field}.secret`))
    const username = data.get('username')
    const password = data.get('password')
    if (username === undefined || password === undefined) {
      throw new FieldError(`${field}.secret`, `secret ${namespace}/${spec.secret} needs both a username ` + 'and a password key')
    }
    out.username = username
    out.password = password
  }
  for (const k of ['db', 'poolSize', 'minIdleConns', 'maxActiveConns'] as const) {
    if (typeof spec[k] === 'number') out[k] = spec[k]
  }
  out.readTimeout = formatDuration(durationOr(spec.readTimeout, `${field}.readTimeout`, 3e9))
  out.writeTimeout = formatDuration(durationOr(spec.writeTimeout, `${field}.writeTimeout`, 3e9))
  out.dialTimeout = formatDuration(durationOr(spec.dialTimeout, `${field}.dialTimeout`, 5e9))
  return out
}
