/**
 * The token bucket of Go's golang.org/x/time/rate, as Traefik's rateLimit uses it: `burst`
 * tokens at most, refilled at `rate` per second; a reservation takes one token now and says how
 * long the caller must wait for it (tokens may go negative). Hand-written: it is a few lines of
 * arithmetic, and it must match Go's (including rate 0 = no limit, Traefik's "average: 0").
 *
 * @module
 */

export interface BucketState {
  tokens: number
  /** Milliseconds (any monotonic clock) of the last update. */
  last: number
}

export function newBucket(burst: number, now: number): BucketState {
  return { tokens: burst, last: now }
}

/**
 * Takes one token at `now`; returns the wait in milliseconds before the request may go. When
 * the wait is over `maxDelayMs` the token is given back and the wait is still returned.
 */
export function reserve(bucket: BucketState, ratePerSecond: number, burst: number, now: number, maxDelayMs: number): number {
  if (ratePerSecond === 0) return 0
  const elapsed = Math.max(0, now - bucket.last)
  const tokens = Math.min(burst, bucket.tokens + (elapsed / 1000) * ratePerSecond) - 1
  const wait = tokens < 0 ? (-tokens / ratePerSecond) * 1000 : 0
  if (wait > maxDelayMs) {
    // Cancelled reservation: nothing taken, only the refill is kept.
    bucket.tokens = tokens + 1
    bucket.last = now
    return wait
  }
  bucket.tokens = tokens
  bucket.last = now
  return wait
}
