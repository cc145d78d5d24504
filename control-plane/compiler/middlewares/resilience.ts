/**
 * `retry` and `circuitBreaker`: durations given as IntOrString, and Traefik's provider
 * defaults (pkg/provider/kubernetes/crd/kubernetes.go's createRetryMiddleware
 * and createCircuitBreakerMiddleware).
 *
 * @module
 */

import { formatDuration } from '../../../shared/dynamic/duration.ts'
import type { CircuitBreaker, Retry } from '../../../shared/dynamic/types.ts'
import type { MiddlewareSpec } from '../crd/types.ts'
import { durationOr } from './values.ts'

/** Retry buffers up to 2 MiB of request body by default, so the request can be replayed. */
export const DEFAULT_RETRY_MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024

export function retry(spec: NonNullable<MiddlewareSpec['retry']>): Retry {
  const out: Retry = {}
  if (typeof spec.attempts === 'number') out.attempts = spec.attempts
  const initial = durationOr(spec.initialInterval, 'spec.retry.initialInterval', 0)
  if (initial !== 0) out.initialInterval = formatDuration(initial)
  const timeout = durationOr(spec.timeout, 'spec.retry.timeout', 0)
  if (timeout !== 0) out.timeout = formatDuration(timeout)
  out.maxRequestBodyBytes = typeof spec.maxRequestBodyBytes === 'number' ? spec.maxRequestBodyBytes : DEFAULT_RETRY_MAX_REQUEST_BODY_BYTES
  if (Array.isArray(spec.status) && spec.status.length > 0) out.status = [...spec.status]
  if (spec.disableRetryOnNetworkError === true) out.disableRetryOnNetworkError = true
  if (spec.retryNonIdempotentMethod === true) out.retryNonIdempotentMethod = true
  return out
}

export function circuitBreaker(spec: NonNullable<MiddlewareSpec['circuitBreaker']>): CircuitBreaker {
  const field = 'spec.circuitBreaker'
  const out: CircuitBreaker = {}
  if (spec.expression) out.expression = spec.expression
  out.checkPeriod = formatDuration(durationOr(spec.checkPeriod, `${field}.checkPeriod`, 100e6))
  out.fallbackDuration = formatDuration(durationOr(spec.fallbackDuration, `${field}.fallbackDuration`, 10e9))
  out.recoveryDuration = formatDuration(durationOr(spec.recoveryDuration, `${field}.recoveryDuration`, 10e9))
  out.responseCode = typeof spec.responseCode === 'number' && spec.responseCode !== 0 ? spec.responseCode : 503
  return out
}
