/**
 * forwardAuth's configuration as the edge runs it: the auth server's URL, what the edge's fetch()
 * cannot do (TLS client material, a CA on Cloudflare, authSigninURL: 501 and a compile-time
 * diagnostic), and the response-header regexp.
 *
 * @module
 */
import type { ForwardAuth } from '../dynamic/types.ts'
import { UnsupportedConfig } from './unsupported.ts'

export interface ForwardAuthSettings {
  address: URL
  /** authResponseHeadersRegex (JavaScript's syntax, as before), or null. */
  regex: RegExp | null
}

/**
 * The runtime's fetch() has no per-request client certificate or verification switch. A CA is
 * another matter: a self-hosted workerd trusts it process-wide (control-plane/table's
 * transportCAs); Cloudflare cannot (reported per target when the table is built, 501 there).
 */
export function forwardAuthUnsupported(config: ForwardAuth | undefined): string | null {
  const tls = config?.tls
  if (!tls) return null
  const fields = (['cert', 'key', 'insecureSkipVerify'] as const).filter((k) => tls[k])
  return fields.length ? `forwardAuth.tls.${fields.join(', ')}: the edge's fetch() has no per-request client certificate or verification switch` : null
}

/** Cloudflare's fetch() trusts public CAs only. */
export function forwardAuthCaUnsupported(config: ForwardAuth | undefined, target: string): string | null {
  return config?.tls?.ca && target === 'cloudflare'
    ? "forwardAuth.tls.ca: Cloudflare's fetch() trusts public CAs only (give the auth server a publicly trusted certificate)"
    : null
}

/** What the edge cannot honour whatever the target: TLS client material, authSigninURL. */
export function forwardAuthUnsupportedAnywhere(config: ForwardAuth | undefined): string | null {
  return (
    forwardAuthUnsupported(config) ??
    ((config as { authSigninURL?: string } | undefined)?.authSigninURL ? 'forwardAuth.authSigninURL is not implemented by the edge' : null)
  )
}

/** Throws (naming the field) where the configuration is malformed, UnsupportedConfig where the edge cannot honour it on `target`. */
export function forwardAuthConfig(config: ForwardAuth, target: string): ForwardAuthSettings {
  if (!config?.address) throw new Error('forwardAuth.address: no address given for the authentication server')
  let address: URL
  try {
    address = new URL(config.address)
  } catch {
    throw new Error(`forwardAuth.address: ${JSON.stringify(config.address)} is not a URL`)
  }
  const tls = forwardAuthUnsupported(config) ?? forwardAuthCaUnsupported(config, target)
  if (tls) throw new UnsupportedConfig(tls)
  if ((config as { authSigninURL?: string }).authSigninURL) throw new UnsupportedConfig('forwardAuth.authSigninURL is not implemented by the edge')
  let regex: RegExp | null = null
  if (config.authResponseHeadersRegex) {
    try {
      regex = new RegExp(config.authResponseHeadersRegex)
    } catch (err) {
      throw new Error(`forwardAuth.authResponseHeadersRegex: ${(err as Error).message}`)
    }
  }
  return { address, regex }
}
