/**
 * Compile-time checks of the stateful and resilience middlewares (rateLimit, circuitBreaker,
 * buffering, forwardAuth): what the edge will refuse to build, reported by the control plane
 * before any table is published. Each message names the field.
 *
 * @module
 */
import type { Buffering, CircuitBreaker, ForwardAuth, RateLimit } from '../dynamic/types.ts'
import { parseBreakerExpression, parseRetryExpression } from './functions.ts'

/** Why the edge cannot run this middleware as configured, or null. */
export function resilienceUnsupported(type: string, config: unknown): string | null {
  switch (type) {
    case 'rateLimit':
      return (config as RateLimit | undefined)?.redis ? 'rateLimit.redis: the edge keeps its buckets itself (per isolate, or in a Durable Object), it has no Redis client' : null
    case 'circuitBreaker':
      return expressionProblem('circuitBreaker.expression', () => parseBreakerExpression((config as CircuitBreaker | undefined)?.expression ?? ''))
    case 'buffering': {
      const expression = (config as Buffering | undefined)?.retryExpression
      return expression ? expressionProblem('buffering.retryExpression', () => parseRetryExpression(expression)) : null
    }
    case 'forwardAuth':
      return forwardAuthUnsupported(config as ForwardAuth | undefined)
    default:
      return null
  }
}

function expressionProblem(field: string, parse: () => unknown): string | null {
  try {
    parse()
    return null
  } catch (err) {
    return `${field}: ${(err as Error).message}`
  }
}

/** The runtime's fetch() has no per-request client certificate, CA or skip-verify. */
export function forwardAuthUnsupported(config: ForwardAuth | undefined): string | null {
  const tls = config?.tls
  if (!tls) return null
  const fields = (['ca', 'cert', 'key', 'insecureSkipVerify'] as const).filter((k) => tls[k])
  return fields.length
    ? `forwardAuth.tls.${fields.join(', ')}: the edge's fetch() has no per-request client certificate, CA or verification switch (trust the CA in the edge's runtime instead)`
    : null
}
