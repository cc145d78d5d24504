// A table much smaller than the last one pushed is held back until the API server confirms it: a
// cache that lost objects (a bad relist, a watch gone quiet) must not wipe routes off the edge.
// "Much smaller" is fewer than (1 - maxShrink) of the last pushed routers, or none at all.

export interface ShrinkCheck {
  /** Routers in the last pushed table (null before the first push). */
  lastRouters: number | null
  routers: number
  /** Fraction of routers that may go away without confirmation. Default 0.5. */
  maxShrink?: number
}

export function needsConfirmation(check: ShrinkCheck): boolean {
  const { lastRouters, routers } = check
  if (lastRouters === null || lastRouters === 0) return false
  if (routers === 0) return true
  return routers < lastRouters * (1 - (check.maxShrink ?? 0.5))
}

/** The cache agrees with a fresh list when every kind has the same number of objects. */
export function countsAgree(cached: ReadonlyMap<string, number>, fresh: ReadonlyMap<string, number>): boolean {
  for (const [kind, n] of fresh) if ((cached.get(kind) ?? 0) !== n) return false
  return true
}
