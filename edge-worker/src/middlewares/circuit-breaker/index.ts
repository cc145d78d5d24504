/**
 * circuitBreaker (oxy cbreaker, as Traefik configures it): while closed ("standby") requests
 * pass and their status and latency are recorded; every checkPeriod (default 100ms) after a
 * response the expression is evaluated over the last 10 seconds and, when true, the circuit
 * trips: for fallbackDuration (default 10s) every request gets responseCode (default 503) with
 * its status text. Then it recovers: over recoveryDuration (default 10s) a share of requests
 * rising from half to all is let through, the rest get the fallback; then it is closed again.
 *
 * State is per isolate (each isolate sees its own share of the traffic and trips on it); see
 * docs/conformance.md "Middlewares: state at the edge".
 *
 * @module
 */
import type { CircuitBreaker } from '../../../../shared/dynamic/types.ts'
import { circuitBreakerConfig } from '../../../../shared/middlewares/circuit-breaker.ts'
import type { Handler } from '../../request.ts'
import { RollingMetrics } from './metrics.ts'

type State = { kind: 'standby' } | { kind: 'tripped'; until: number } | { kind: 'recovering'; start: number; until: number; allowed: number; denied: number }

export function circuitBreaker(config: CircuitBreaker, _context?: unknown, now: () => number = Date.now): (next: Handler) => Handler {
  const { condition, checkPeriod, fallbackDuration, recoveryDuration, status, text } = circuitBreakerConfig(config)
  const metrics = new RollingMetrics(now)
  let state: State = { kind: 'standby' }
  let nextCheck = 0

  /** Whether this request gets the fallback (oxy activateFallback). */
  const fallback = (): boolean => {
    if (state.kind === 'standby') return false
    const t = now()
    if (state.kind === 'tripped') {
      if (t < state.until) return true
      state = { kind: 'recovering', start: t, until: t + recoveryDuration, allowed: 0, denied: 0 }
    }
    if (t > state.until) {
      state = { kind: 'standby' }
      return false
    }
    // The share let through rises linearly from 1/2 to 1 over the recovery.
    const target = 0.5 + (0.5 * (t - state.start)) / Math.max(1, recoveryDuration)
    if ((state.allowed + 1) / (state.allowed + 1 + state.denied) < target) {
      state.allowed++
      return false
    }
    state.denied++
    return true
  }

  const check = (): void => {
    if (state.kind !== 'standby') return
    const t = now()
    if (t < nextCheck) return
    nextCheck = t + checkPeriod
    if (!condition(metrics)) return
    state = { kind: 'tripped', until: t + fallbackDuration }
    metrics.reset()
  }

  const nullBody = status === 204 || status === 205 || status === 304
  return (next) =>
    async function circuitBreaker(req) {
      if (fallback()) {
        return new Response(nullBody ? null : (text ?? ''), { status, headers: nullBody ? {} : { 'content-type': 'text/plain; charset=utf-8' } })
      }
      const start = now()
      const res = await next(req)
      metrics.record(res.status, now() - start)
      check()
      return res
    }
}
