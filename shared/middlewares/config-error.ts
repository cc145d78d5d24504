/**
 * Configurations the edge would refuse to build, found when the table is built: the route then
 * carries the error (500, as the edge would answer) and the diagnostic names the middleware and
 * why, instead of the first request finding out. Checked with the same shared/middlewares code
 * the edge's factories read their configuration with, so both sides cannot disagree.
 *
 * @module
 */
import { bufferingConfig } from './buffering.ts'
import { circuitBreakerConfig } from './circuit-breaker.ts'
import { compressConfig } from './compress.ts'
import { forwardAuthConfig } from './forward-auth.ts'
import { headersConfig } from './headers.ts'
import { inFlightReqConfig } from './in-flight-req.ts'
import { ipAllowListConfig } from './ip-allow-list.ts'
import { replacePathRegexConfig, stripPrefixRegexConfig } from './path-regex.ts'
import { rateLimitConfig } from './rate-limit.ts'
import { redirectRegexConfig, redirectSchemeConfig } from './redirect.ts'
import { retryConfig } from './retry.ts'
import { UnsupportedConfig } from './unsupported.ts'
import { basicAuthConfig, digestAuthConfig } from './users.ts'

type Check = (config: never) => unknown

// The errors middleware is left out: its page service is checked against the table when the
// edge builds it.
const CHECKED: Record<string, Check> = {
  basicAuth: basicAuthConfig,
  buffering: bufferingConfig,
  circuitBreaker: circuitBreakerConfig,
  digestAuth: digestAuthConfig,
  forwardAuth: (config) => forwardAuthConfig(config, 'workerd'),
  headers: headersConfig,
  inFlightReq: inFlightReqConfig,
  ipAllowList: ipAllowListConfig,
  ipWhiteList: ipAllowListConfig,
  rateLimit: rateLimitConfig,
  retry: retryConfig,
  compress: compressConfig,
  redirectRegex: redirectRegexConfig,
  redirectScheme: redirectSchemeConfig,
  replacePathRegex: replacePathRegexConfig,
  stripPrefixRegex: stripPrefixRegexConfig,
}

/** Why the edge would refuse this configuration (answering 500), or null. */
export function middlewareConfigError(type: string, config: unknown): string | null {
  const check = CHECKED[type]
  if (!check || (typeof config === 'object' && config !== null && 'sealed' in config)) return null
  try {
    check(config as never)
    return null
  } catch (err) {
    // What the edge cannot honour is reported (and answered 501) through capabilities.ts.
    return err instanceof UnsupportedConfig ? null : (err as Error).message
  }
}
