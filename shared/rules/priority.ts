/** Traefik's router priority (Traefik's pkg/muxer/http/mux.go GetRulePriority). @module */

const encoder = new TextEncoder()

/** Length of the rule in UTF-8 bytes. */
export function defaultPriority(rule: string): number {
  return encoder.encode(rule).length
}

/** An explicit priority, or the default when it is absent or 0. */
export function effectivePriority(rule: string, priority?: number): number {
  return priority === undefined || priority === 0 ? defaultPriority(rule) : priority
}
