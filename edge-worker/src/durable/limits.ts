/**
 * Global limits: rateLimit and inFlightReq counted in Durable Objects (./limiter-object.ts)
 * instead of per isolate. Switched on by the worker variable EDGE_LIMITS = "global" with the
 * Durable Object namespace bound as EDGE_LIMITER (wrangler.toml; the self-hosted workerd config
 * binds it too). Without the variable the limits stay per isolate; with it but without the
 * binding, the middleware cannot be built (500, logged) rather than limit less than configured.
 *
 * @module
 */
import type { MiddlewareContext } from '../middlewares/toolkit/types.ts'

export const LIMITS_VARIABLE = 'EDGE_LIMITS'
export const LIMITER_BINDING = 'EDGE_LIMITER'

export type LimiterCall =
  | { op: 'reserve'; ratePerSecond: number; burst: number; maxDelayMs: number; ttlMs: number }
  | { op: 'acquire'; amount: number }
  | { op: 'release' }

interface StubLike {
  fetch(url: string, init: RequestInit): Promise<Response>
}
interface NamespaceLike {
  idFromName(name: string): unknown
  get(id: unknown): StubLike
}

export interface GlobalLimits {
  /** rateLimit: the wait in ms for a token of `key`'s bucket (taken unless over maxDelayMs). */
  reserve(key: string, settings: { ratePerSecond: number; burst: number; maxDelayMs: number; ttlMs: number }): Promise<number>
  /** inFlightReq: whether `key` had fewer than `amount` requests in flight (then counted). */
  acquire(key: string, amount: number): Promise<boolean>
  release(key: string): Promise<void>
}

/** The global limits when switched on, else null (per-isolate limits). */
export function globalLimits(context: MiddlewareContext): GlobalLimits | null {
  const env = context.edge.env
  if (env[LIMITS_VARIABLE] !== 'global') return null
  const namespace = env[LIMITER_BINDING] as NamespaceLike | undefined
  if (!namespace || typeof namespace.idFromName !== 'function') {
    throw new Error(`${LIMITS_VARIABLE} is "global" but the worker has no ${LIMITER_BINDING} Durable Object binding`)
  }
  const call = async <T>(key: string, body: LimiterCall): Promise<T> => {
    const stub = namespace.get(namespace.idFromName(key))
    const res = await stub.fetch('http://limiter/', { method: 'POST', body: JSON.stringify(body) })
    if (!res.ok) throw new Error(`${LIMITER_BINDING}: ${res.status}`)
    return (await res.json()) as T
  }
  return {
    reserve: async (key, s) => (await call<{ wait: number }>(key, { op: 'reserve', ...s })).wait,
    acquire: async (key, amount) => (await call<{ ok: boolean }>(key, { op: 'acquire', amount })).ok,
    release: async (key) => {
      await call(key, { op: 'release' })
    },
  }
}
