/**
 * The circuit breaker's rolling metrics (oxy's RTMetrics): the last 10 seconds in one-second
 * buckets of request count, network errors (the proxy's own 502/504), status counts and
 * latencies. Hand-written: a ring of ten small buckets; the latency quantile sorts the window's
 * samples (capped per bucket), which is plenty at the rates one isolate sees.
 *
 * @module
 */
import type { BreakerMetrics } from '../../../../shared/circuit-breaker/functions.ts'

const BUCKETS = 10
const BUCKET_MS = 1000
const MAX_SAMPLES = 1000

interface Bucket {
  /** Which second this bucket holds (ms since epoch / 1000, floored). */
  second: number
  total: number
  netErrors: number
  codes: Map<number, number>
  latencies: number[]
}

export class RollingMetrics implements BreakerMetrics {
  #buckets: Bucket[] = []
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  record(status: number, latencyMs: number): void {
    const second = Math.floor(this.#now() / BUCKET_MS)
    let b = this.#buckets[second % BUCKETS]
    if (!b || b.second !== second) {
      b = { second, total: 0, netErrors: 0, codes: new Map(), latencies: [] }
      this.#buckets[second % BUCKETS] = b
    }
    b.total++
    if (status === 502 || status === 504) b.netErrors++
    b.codes.set(status, (b.codes.get(status) ?? 0) + 1)
    if (b.latencies.length < MAX_SAMPLES) b.latencies.push(latencyMs)
  }

  reset(): void {
    this.#buckets = []
  }

  #live(): Bucket[] {
    const now = Math.floor(this.#now() / BUCKET_MS)
    return this.#buckets.filter((b) => b && now - b.second < BUCKETS)
  }

  networkErrorRatio(): number {
    let total = 0
    let errors = 0
    for (const b of this.#live()) {
      total += b.total
      errors += b.netErrors
    }
    return total === 0 ? 0 : errors / total
  }

  /** Codes in [startA, endA) over codes in [startB, endB); 0 when the latter is 0. */
  responseCodeRatio(startA: number, endA: number, startB: number, endB: number): number {
    let a = 0
    let b = 0
    for (const bucket of this.#live()) {
      for (const [code, n] of bucket.codes) {
        if (code >= startA && code < endA) a += n
        if (code >= startB && code < endB) b += n
      }
    }
    return b === 0 ? 0 : a / b
  }

  latencyAtQuantileMs(quantile: number): number {
    const all = this.#live()
      .flatMap((b) => b.latencies)
      .sort((x, y) => x - y)
    if (all.length === 0) return 0
    const rank = Math.min(all.length - 1, Math.max(0, Math.ceil((quantile / 100) * all.length) - 1))
    return all[rank]!
  }
}
