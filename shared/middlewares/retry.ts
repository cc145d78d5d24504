/**
 * retry's configuration as Traefik reads it: attempts, the statuses that are retried, the
 * backoff (initialInterval growing to twice it over the attempts), timeout and body limit.
 *
 * @module
 */
import { durationToNs } from '../dynamic/duration.ts'
import type { Retry } from '../dynamic/types.ts'
import { parseStatusRanges, type StatusRanges } from '../http/status-ranges.ts'

const DEFAULT_MAX_BODY = 2 * 1024 * 1024

export interface RetrySettings {
  attempts: number
  /** Statuses retried (idempotent methods, unless retryNonIdempotentMethod), or null. */
  status: StatusRanges | null
  initialMs: number
  timeoutMs: number
  /** Bodies up to this size are kept to be sent again. */
  maxBody: number
  /** Retry when the upstream could not be reached. */
  onNetwork: boolean
  /** Backoff growth per attempt. */
  multiplier: number
}

export function retryConfig(config: Retry): RetrySettings {
  const attempts = config?.attempts ?? 0
  const statusConfigured = (config?.status?.length ?? 0) > 0
  if (!statusConfigured && config?.disableRetryOnNetworkError) throw new Error('retry: requires at least HTTP status codes or retry on TCP')
  if (!Number.isInteger(attempts) || attempts <= 0) throw new Error(`retry.attempts: incorrect (or empty) value for attempt (${attempts})`)
  let status: StatusRanges | null = null
  if (statusConfigured) {
    try {
      status = parseStatusRanges(config.status!)
    } catch (err) {
      throw new Error(`retry.status: ${(err as Error).message}`)
    }
  }
  const initialMs = config.initialInterval === undefined ? 0 : durationToNs(config.initialInterval) / 1e6
  const timeoutMs = config.timeout === undefined ? 0 : durationToNs(config.timeout) / 1e6
  const maxBody = config.maxRequestBodyBytes ?? DEFAULT_MAX_BODY
  const onNetwork = !config.disableRetryOnNetworkError
  const multiplier = attempts > 1 ? 2 ** (1 / (attempts - 1)) : 1
  return { attempts, status, initialMs, timeoutMs, maxBody, onNetwork, multiplier }
}
