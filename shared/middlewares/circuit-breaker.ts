/**
 * circuitBreaker's configuration (oxy cbreaker, as Traefik reads it): the trip expression, the
 * periods in milliseconds with Traefik's defaults, and the fallback's status and text.
 *
 * @module
 */
import { parseBreakerExpression } from '../circuit-breaker/functions.ts'
import { durationToNs } from '../dynamic/duration.ts'
import type { CircuitBreaker } from '../dynamic/types.ts'
import { GO_STATUS_TEXT } from '../http/status-text.ts'
import { UnsupportedConfig } from './unsupported.ts'

export interface CircuitBreakerSettings {
  condition: ReturnType<typeof parseBreakerExpression>
  checkPeriod: number
  fallbackDuration: number
  recoveryDuration: number
  status: number
  /** Go's status text of `status` (the fallback's body), when it has one. */
  text: string | undefined
}

function ms(value: string | undefined, fallback: number, field: string): number {
  if (value === undefined || value === '') return fallback
  const n = durationToNs(value) / 1e6
  if (!Number.isFinite(n) || n < 0) throw new Error(`circuitBreaker.${field}: invalid duration ${value}`)
  return n
}

export function circuitBreakerConfig(config: CircuitBreaker): CircuitBreakerSettings {
  let condition: ReturnType<typeof parseBreakerExpression>
  try {
    condition = parseBreakerExpression(config?.expression ?? '')
  } catch (err) {
    throw new Error(`circuitBreaker.expression: ${(err as Error).message}`)
  }
  const checkPeriod = ms(config.checkPeriod, 100, 'checkPeriod')
  const fallbackDuration = ms(config.fallbackDuration, 10_000, 'fallbackDuration')
  const recoveryDuration = ms(config.recoveryDuration, 10_000, 'recoveryDuration')
  const status = config.responseCode || 503
  const text = GO_STATUS_TEXT[status]
  if (status < 200 || status > 999) throw new UnsupportedConfig(`circuitBreaker.responseCode: ${status} cannot be answered by the edge`)
  return { condition, checkPeriod, fallbackDuration, recoveryDuration, status, text }
}
