/**
 * The functions each predicate language offers, with the facts they read: the circuit
 * breaker's over its rolling metrics (oxy cbreaker), buffering's retryExpression over the
 * current attempt (oxy buffer). Both parse through ./expression.ts, on the control plane (a
 * compile-time diagnostic) and at the edge.
 *
 * @module
 */
import { parsePredicate, type FunctionSpec, type Predicate } from './expression.ts'

/** What the circuit breaker's functions read (the edge's rolling window implements it). */
export interface BreakerMetrics {
  networkErrorRatio(): number
  responseCodeRatio(startA: number, endA: number, startB: number, endB: number): number
  latencyAtQuantileMs(quantile: number): number
}

export const BREAKER_FUNCTIONS: Record<string, FunctionSpec<BreakerMetrics>> = {
  NetworkErrorRatio: { args: 0, returns: 'number', make: () => (m) => m.networkErrorRatio() },
  ResponseCodeRatio: {
    args: 4,
    returns: 'number',
    make:
      ([a, b, c, d]) =>
      (m) =>
        m.responseCodeRatio(a!, b!, c!, d!),
  },
  LatencyAtQuantileMS: {
    args: 1,
    returns: 'number',
    make: ([q]) => {
      if (q! < 0 || q! > 100) throw new Error(`LatencyAtQuantileMS: quantile ${q} is not between 0 and 100`)
      return (m) => m.latencyAtQuantileMs(q!)
    },
  },
}

/** What buffering's retryExpression reads of an attempt. */
export interface AttemptFacts {
  attempts: number
  responseCode: number
}

export const RETRY_FUNCTIONS: Record<string, FunctionSpec<AttemptFacts>> = {
  // oxy: a network error is the proxy's own 502 or 504.
  IsNetworkError: { args: 0, returns: 'boolean', make: () => (f) => f.responseCode === 502 || f.responseCode === 504 },
  Attempts: { args: 0, returns: 'number', make: () => (f) => f.attempts },
  ResponseCode: { args: 0, returns: 'number', make: () => (f) => f.responseCode },
}

export function parseBreakerExpression(text: string): Predicate<BreakerMetrics> {
  return parsePredicate(text, BREAKER_FUNCTIONS)
}

export function parseRetryExpression(text: string): Predicate<AttemptFacts> {
  return parsePredicate(text, RETRY_FUNCTIONS)
}
