/**
 * The circuit breaker and buffering predicate language: Traefik's documented expressions parse
 * and evaluate over given facts; malformed ones are refused with the place named.
 */
import { describe, expect, it } from 'vitest'
import { parseBreakerExpression, parseRetryExpression, type BreakerMetrics } from './functions.ts'
import { middlewareConfigError } from '../middlewares/config-error.ts'
import { forwardAuthCaUnsupported } from '../middlewares/forward-auth.ts'
import { middlewareUnsupported } from '../table/capabilities.ts'

const metrics = (net: number, codes: number, p50: number): BreakerMetrics & { calls: unknown[] } => {
  const calls: unknown[] = []
  return {
    calls,
    networkErrorRatio: () => net,
    responseCodeRatio: (...args) => (calls.push(args), codes),
    latencyAtQuantileMs: (q) => (calls.push(['q', q]), p50),
  }
}

describe('circuit breaker expressions', () => {
  it('evaluates the documented forms', () => {
    expect(parseBreakerExpression('NetworkErrorRatio() > 0.30')(metrics(0.31, 0, 0))).toBe(true)
    expect(parseBreakerExpression('NetworkErrorRatio() > 0.30')(metrics(0.3, 0, 0))).toBe(false)
    const m = metrics(0, 0.6, 0)
    expect(parseBreakerExpression('ResponseCodeRatio(500, 600, 0, 600) > 0.25')(m)).toBe(true)
    expect(m.calls).toEqual([[500, 600, 0, 600]])
    expect(parseBreakerExpression('LatencyAtQuantileMS(50.0) > 100')(metrics(0, 0, 101))).toBe(true)
    const either = parseBreakerExpression('ResponseCodeRatio(500, 600, 0, 600) > 0.30 || NetworkErrorRatio() > 0.10')
    expect(either(metrics(0.2, 0, 0))).toBe(true)
    expect(either(metrics(0, 0, 0))).toBe(false)
    const both = parseBreakerExpression('(NetworkErrorRatio() >= 0.5 && LatencyAtQuantileMS(99) <= 10) || !(NetworkErrorRatio() != 0)')
    expect(both(metrics(0.5, 0, 10))).toBe(true)
    expect(both(metrics(0.5, 0, 11))).toBe(false)
    expect(both(metrics(0, 0, 11))).toBe(true)
  })

  it('refuses malformed expressions, naming the place', () => {
    expect(() => parseBreakerExpression('')).toThrow('empty expression')
    expect(() => parseBreakerExpression('NetworkErrorRatio()')).toThrow('must be a condition')
    expect(() => parseBreakerExpression('NetworkErrorRatio() > ')).toThrow('expected a value at the end')
    expect(() => parseBreakerExpression('Foo() > 1')).toThrow('unsupported function "Foo" at 1')
    expect(() => parseBreakerExpression('ResponseCodeRatio(500, 600) > 0.5')).toThrow('takes 4 argument(s), got 2')
    expect(() => parseBreakerExpression('NetworkErrorRatio() > 0.5 &&')).toThrow('at the end')
    expect(() => parseBreakerExpression('NetworkErrorRatio() > 0.5 $ 1')).toThrow('unexpected "$" at 27')
    expect(() => parseBreakerExpression('NetworkErrorRatio() > 0.5 && 3')).toThrow('a condition around &&')
  })
})

describe('buffering retryExpression', () => {
  it('reads the attempt and its status', () => {
    const p = parseRetryExpression('IsNetworkError() && Attempts() < 2')
    expect(p({ attempts: 1, responseCode: 502 })).toBe(true)
    expect(p({ attempts: 2, responseCode: 502 })).toBe(false)
    expect(p({ attempts: 1, responseCode: 500 })).toBe(false)
    expect(parseRetryExpression('ResponseCode() == 503')({ attempts: 9, responseCode: 503 })).toBe(true)
  })
})

describe('compile-time checks', () => {
  it('reports what the edge cannot honour (Redis, forwardAuth TLS material) by field', () => {
    expect(middlewareUnsupported('rateLimit', { average: 1, redis: { endpoints: ['r:6379'] } })).toMatch(/^rateLimit.redis/)
    expect(middlewareUnsupported('rateLimit', { average: 1 })).toBeNull()
    expect(middlewareUnsupported('forwardAuth', { address: 'http://a', tls: { cert: 'PEM', key: 'PEM' } })).toMatch(/^forwardAuth.tls.cert, key:/)
    expect(middlewareUnsupported('forwardAuth', { address: 'http://a', tls: { insecureSkipVerify: true } })).toMatch(/^forwardAuth.tls.insecureSkipVerify/)
    // A CA is trusted by a self-hosted workerd; Cloudflare's is checked per target.
    expect(middlewareUnsupported('forwardAuth', { address: 'http://a', tls: { ca: 'PEM' } })).toBeNull()
    expect(forwardAuthCaUnsupported({ tls: { ca: 'PEM' } }, 'cloudflare')).toMatch(/^forwardAuth.tls.ca: Cloudflare/)
    expect(forwardAuthCaUnsupported({ tls: { ca: 'PEM' } }, 'workerd')).toBeNull()
    expect(middlewareUnsupported('forwardAuth', { address: 'http://a', authSigninURL: 'http://s' })).toMatch(/^forwardAuth.authSigninURL/)
    expect(middlewareUnsupported('forwardAuth', { address: 'http://a' })).toBeNull()
  })

  it('leaves malformed expressions to the build check (500), naming field and place', () => {
    expect(middlewareUnsupported('circuitBreaker', { expression: 'Nope() > 1' })).toBeNull()
    expect(middlewareConfigError('circuitBreaker', { expression: 'Nope() > 1' })).toMatch(/^circuitBreaker.expression: unsupported function "Nope" at 1/)
    expect(middlewareConfigError('circuitBreaker', { expression: 'NetworkErrorRatio() > 0.5' })).toBeNull()
    expect(middlewareConfigError('buffering', { retryExpression: 'Attempts() <' })).toMatch(/^buffering.retryExpression: expected a value at the end/)
    expect(middlewareConfigError('retry', { attempts: 0 })).toMatch(/^retry.attempts/)
    expect(middlewareConfigError('rateLimit', { average: 1, sourceCriterion: { requestHost: true, requestHeaderName: 'X' } })).toMatch(/mutually exclusive/)
  })
})
