/**
 * rateLimit's configuration as Traefik reads it: the token rate, burst, longest wait and how long
 * an idle source's bucket is kept, and the source criterion (default: the client address).
 *
 * @module
 */
import { durationToNs, goDurationString } from '../dynamic/duration.ts'
import type { RateLimit } from '../dynamic/types.ts'
import { sourceExtractor, type SourceExtractor } from './source-criterion.ts'
import { UnsupportedConfig } from './unsupported.ts'

export interface RateLimitSettings {
  ratePerSecond: number
  burst: number
  maxDelayMs: number
  /** How long an idle source's bucket is kept. */
  ttlMs: number
}

/** What the edge cannot honour: Redis (it keeps its buckets itself). */
export function rateLimitUnsupported(config: RateLimit | undefined): string | null {
  return config?.redis ? 'rateLimit.redis: the edge keeps its buckets itself (per isolate, or in a Durable Object), it has no Redis client' : null
}

/** Traefik's reading of the configuration; throws (naming the field) where Traefik refuses it. */
export function rateLimitSettings(config: RateLimit): RateLimitSettings {
  const burst = Math.max(1, Math.trunc(config?.burst ?? 1))
  const periodNs = config?.period === undefined ? 0 : durationToNs(config.period)
  if (!Number.isFinite(periodNs)) throw new Error(`rateLimit.period: invalid duration ${config.period}`)
  if (periodNs < 0) throw new Error(`rateLimit.period: negative value not valid for period: ${goDurationString(periodNs)}`)
  const period = periodNs === 0 ? 1e9 : periodNs
  const average = config?.average ?? 0
  if (average < 0) throw new Error(`rateLimit.average: ${average} is negative`)
  const ratePerSecond = average > 0 ? (average * 1e9) / period : 0
  // Go: time.Second / (time.Duration(rtl) * 2), the rate truncated to an integer.
  const maxDelayMs = ratePerSecond === 0 ? 0 : ratePerSecond < 1 ? 500 : 1000 / (Math.trunc(ratePerSecond) * 2)
  // Go: ttl := 1; if rtl >= 1 { ttl++ } else if rtl > 0 { ttl += int(1 / rtl) }.
  const ttlMs = 1000 * (1 + (ratePerSecond >= 1 ? 1 : ratePerSecond > 0 ? Math.trunc(1 / ratePerSecond) : 0))
  return { ratePerSecond, burst, maxDelayMs, ttlMs }
}

export function rateLimitConfig(config: RateLimit): { settings: RateLimitSettings; source: SourceExtractor } {
  const unsupported = rateLimitUnsupported(config)
  if (unsupported) throw new UnsupportedConfig(unsupported)
  const settings = rateLimitSettings(config)
  return { settings, source: sourceExtractor('rateLimit', config?.sourceCriterion, { ipStrategy: {} }) }
}
