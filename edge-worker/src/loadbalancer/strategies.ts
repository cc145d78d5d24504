/**
 * Traefik v3's other server-picking strategies (loadBalancer.strategy), beside the default wrr
 * (./edf.ts), as Traefik's documentation describes them:
 *
 * - p2c: two distinct servers at random, the one with fewer requests in flight (weights are not
 *   used; a tie keeps the first).
 * - hrw: highest random weight (rendezvous hashing) of the client IP with each server's name,
 *   weighted (score = weight / -ln(hash in (0,1))): a client keeps its server while the set of
 *   servers stays, and only the clients of a server that leaves move.
 * - leasttime: the lowest (average response time x (requests in flight + 1)) / weight; servers
 *   not measured yet go first, ties in rotation.
 *
 * State (in-flight counts, response-time averages) is per isolate, as the WRR position is.
 *
 * @module
 */

export type Strategy = 'p2c' | 'hrw' | 'leasttime'

/** What a strategy keeps per server. */
export interface Load {
  /** Requests sent and not answered yet. */
  inFlight: number
  /** Exponentially weighted average of response times (ms); NaN before the first answer. */
  avgMs: number
}

export interface Candidate {
  name: string
  weight: number
  load: Load
}

/** How much a new response time counts in the average. */
const EWMA_ALPHA = 0.3

export function newLoad(): Load {
  return { inFlight: 0, avgMs: Number.NaN }
}

/** A response came back after `ms`. */
export function recordResponse(load: Load, ms: number): void {
  load.avgMs = Number.isNaN(load.avgMs) ? ms : load.avgMs + EWMA_ALPHA * (ms - load.avgMs)
}

export function p2c<C extends Candidate>(candidates: C[], random: () => number): C | null {
  const n = candidates.length
  if (n === 0) return null
  if (n === 1) return candidates[0]!
  const i = Math.floor(random() * n)
  let j = Math.floor(random() * (n - 1))
  if (j >= i) j++
  const a = candidates[i]!
  const b = candidates[j]!
  return b.load.inFlight < a.load.inFlight ? b : a
}

export function hrw<C extends Candidate>(candidates: C[], clientIp: string): C | null {
  let best: C | null = null
  let bestScore = -Infinity
  for (const c of candidates) {
    const score = c.weight / -Math.log(unitHash(`${clientIp}|${c.name}`))
    if (score > bestScore) {
      best = c
      bestScore = score
    }
  }
  return best
}

export function leastTime<C extends Candidate>(candidates: C[], turn: number): C | null {
  const n = candidates.length
  let best: C | null = null
  let bestScore = Infinity
  for (let k = 0; k < n; k++) {
    // Starting at a rotating offset: ties (all unmeasured at first) take turns.
    const c = candidates[(turn + k) % n]!
    const score = Number.isNaN(c.load.avgMs) ? -1 : (c.load.avgMs * (c.load.inFlight + 1)) / c.weight
    if (score < bestScore) {
      best = c
      bestScore = score
    }
  }
  return best
}

/** FNV-1a (32 bits) of the text mapped into (0, 1): never 0 or 1, so -ln is finite and positive. */
function unitHash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  // Avalanche (murmur3's finalizer): FNV alone leaves similar inputs close together.
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return ((h >>> 0) + 0.5) / 4294967296
}
