/**
 * rateLimit: one token bucket per source (sourceCriterion; default the client address), rate
 * average/period per second, burst tokens (at least 1). A request that must wait for its token
 * no longer than maxDelay (1/(2*rate), 500 ms below 1 req/s) is delayed then served; a longer
 * wait answers 429 `Too Many Requests` with Retry-After (whole seconds, rounded up) and
 * X-Retry-In (Go's duration). average 0 = no limit. A source's bucket is forgotten after ttl
 * seconds without requests (Traefik's ttlmap: 2 s from 1 req/s up, 1 + 1/rate below), so its
 * next request starts from a full burst again.
 *
 * State: per isolate by default (the buckets live in this closure, as Traefik's live in its
 * process); with the global limits switched on (../../durable/limits.ts), in a Durable Object
 * per middleware and source, exact across isolates.
 *
 * @module
 */
import type { RateLimit } from '../../../../shared/dynamic/types.ts'
import { goDurationString } from '../../../../shared/dynamic/duration.ts'
import { rateLimitConfig } from '../../../../shared/middlewares/rate-limit.ts'
import { globalLimits } from '../../durable/limits.ts'
import { httpError, type Handler } from '../../request.ts'
import type { MiddlewareContext } from '../toolkit/types.ts'
import { newBucket, reserve, type BucketState } from '../toolkit/token-bucket.ts'

/** Traefik keeps at most this many sources (an LRU/TTL map); the oldest go first here. */
const MAX_SOURCES = 65536

export function rateLimit(config: RateLimit, context: MiddlewareContext, clock: () => number = () => performance.now()): (next: Handler) => Handler {
  const { settings, source } = rateLimitConfig(config)
  const global = globalLimits(context)
  const buckets = new Map<string, BucketState>()
  const localReserve = (key: string): number => {
    const now = clock()
    let bucket = buckets.get(key)
    if (bucket) buckets.delete(key)
    if (bucket && now - bucket.last > settings.ttlMs) bucket = undefined // expired, as in Traefik's ttlmap
    if (!bucket) {
      bucket = newBucket(settings.burst, now)
      if (buckets.size >= MAX_SOURCES) buckets.delete(buckets.keys().next().value!)
    }
    buckets.set(key, bucket) // most recently used last
    return reserve(bucket, settings.ratePerSecond, settings.burst, now, settings.maxDelayMs)
  }
  return (next) =>
    async function rateLimit(req) {
      if (settings.ratePerSecond === 0) return next(req)
      const key = source(req)
      let wait: number
      try {
        wait = global ? await global.reserve(`${context.name}:${key}`, settings) : localReserve(key)
      } catch (err) {
        // Fails closed, as Traefik answers 500 when it cannot update a bucket.
        context.edge.log(`[edge] rateLimit ${context.name}: ${(err as Error).message}`)
        return httpError(500, 'could not insert/update bucket')
      }
      if (wait > settings.maxDelayMs) return tooManyRequests(wait)
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      return next(req)
    }
}

function tooManyRequests(waitMs: number): Response {
  return new Response('Too Many Requests', {
    status: 429,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'retry-after': String(Math.ceil(waitMs / 1000)),
      'x-retry-in': goDurationString(Math.round(waitMs * 1e6)),
    },
  })
}
