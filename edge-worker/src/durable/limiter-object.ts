/**
 * EdgeLimiter, the Durable Object behind the global limits: one object per key
 * (`<middleware>:<source>`), holding that key's token bucket (rateLimit), in-flight count
 * (inFlightReq) or circuit state (circuitBreaker). A Durable Object runs its requests one at a
 * time, so the arithmetic here is exact however many isolates ask. The state is in memory: an
 * idle object may be evicted and start again full, which is what an idle bucket would be anyway.
 *
 * Spoken over fetch (not RPC) so the class needs nothing from `cloudflare:workers` and the
 * worker's modules stay importable by Node's tests.
 *
 * @module
 */
import { newBucket, reserve, type BucketState } from '../middlewares/toolkit/token-bucket.ts'
import type { LimiterCall } from './limits.ts'

export class EdgeLimiter {
  #bucket: BucketState | undefined
  #inFlight = 0

  async fetch(request: Request): Promise<Response> {
    const call = (await request.json()) as LimiterCall
    switch (call.op) {
      case 'reserve': {
        const now = Date.now()
        if (!this.#bucket || now - this.#bucket.last > call.ttlMs) this.#bucket = newBucket(call.burst, now)
        return Response.json({ wait: reserve(this.#bucket, call.ratePerSecond, call.burst, now, call.maxDelayMs) })
      }
      case 'acquire': {
        const ok = this.#inFlight < call.amount
        if (ok) this.#inFlight++
        return Response.json({ ok })
      }
      case 'release':
        this.#inFlight = Math.max(0, this.#inFlight - 1)
        return Response.json({ ok: true })
    }
  }
}
