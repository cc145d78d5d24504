/**
 * What the edge cannot honour in rateLimit and forwardAuth (501 and a compile-time diagnostic,
 * through shared/table/capabilities.ts). Malformed configurations, such as a circuitBreaker
 * expression that does not parse, are another matter: the control plane builds the edge's own
 * factory to find those (control-plane/table/middleware-config.ts), and the route answers 500.
 *
 * @module
 */
import type { ForwardAuth, RateLimit } from '../dynamic/types.ts'

/** Why the edge cannot run this middleware as configured, or null. */
export function resilienceUnsupported(type: string, config: unknown): string | null {
  switch (type) {
    case 'rateLimit':
      return (config as RateLimit | undefined)?.redis ? 'rateLimit.redis: the edge keeps its buckets itself (per isolate, or in a Durable Object), it has no Redis client' : null
    case 'forwardAuth':
      return forwardAuthUnsupported(config as ForwardAuth | undefined) ?? ((config as { authSigninURL?: string } | undefined)?.authSigninURL ? 'forwardAuth.authSigninURL is not implemented by the edge' : null)
    default:
      return null
  }
}

/**
 * The runtime's fetch() has no per-request client certificate or verification switch. A CA is
 * another matter: a self-hosted workerd trusts it process-wide (control-plane/table's
 * outboundCAs); Cloudflare cannot (reported per target when the table is built, 501 there).
 */
export function forwardAuthUnsupported(config: ForwardAuth | undefined): string | null {
  const tls = config?.tls
  if (!tls) return null
  const fields = (['cert', 'key', 'insecureSkipVerify'] as const).filter((k) => tls[k])
  return fields.length ? `forwardAuth.tls.${fields.join(', ')}: the edge's fetch() has no per-request client certificate or verification switch` : null
}

/** Cloudflare's fetch() trusts public CAs only. */
export function forwardAuthCaUnsupported(config: ForwardAuth | undefined, target: string): string | null {
  return config?.tls?.ca && target === 'cloudflare' ? "forwardAuth.tls.ca: Cloudflare's fetch() trusts public CAs only (give the auth server a publicly trusted certificate)" : null
}
