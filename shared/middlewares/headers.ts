/**
 * The headers middleware's configuration: every field must be one the edge implements, something
 * must be configured (Traefik refuses an empty headers middleware), and the CORS origin regexps
 * must compile as Go's would.
 *
 * @module
 */
import type { Headers as HeadersConfig } from '../dynamic/types.ts'
import { compileGoRegexp, type GoRegexp } from '../rules/regexp/compile.ts'
import { UnsupportedConfig } from './unsupported.ts'

// Every field of Traefik's headers middleware (deprecated ones included): anything else is a field
// the edge does not know, and is refused rather than ignored.
const HEADERS_IMPLEMENTED = new Set([
  'customRequestHeaders',
  'customResponseHeaders',
  'accessControlAllowCredentials',
  'accessControlAllowHeaders',
  'accessControlAllowMethods',
  'accessControlAllowOriginList',
  'accessControlAllowOriginListRegex',
  'accessControlExposeHeaders',
  'accessControlMaxAge',
  'addVaryHeader',
  'allowedHosts',
  'hostsProxyHeaders',
  'sslProxyHeaders',
  'stsSeconds',
  'stsIncludeSubdomains',
  'stsPreload',
  'forceSTSHeader',
  'frameDeny',
  'customFrameOptionsValue',
  'contentTypeNosniff',
  'browserXssFilter',
  'customBrowserXSSValue',
  'contentSecurityPolicy',
  'contentSecurityPolicyReportOnly',
  'publicKey',
  'referrerPolicy',
  'permissionsPolicy',
  'isDevelopment',
  'featurePolicy',
  'sslRedirect',
  'sslTemporaryRedirect',
  'sslHost',
  'sslForceHost',
])

/** For the headers middleware: the fields set that the edge does not implement, or null. */
export function headersUnsupported(config: HeadersConfig): string | null {
  const fields = Object.entries(config ?? {})
    .filter(([k, v]) => !HEADERS_IMPLEMENTED.has(k) && v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0))
    .map(([k]) => k)
  return fields.length ? `headers fields ${fields.join(', ')} are not implemented by the edge` : null
}

export function hasCors(c: HeadersConfig): boolean {
  return Boolean(
    c.accessControlAllowCredentials ||
      c.accessControlAllowHeaders?.length ||
      c.accessControlAllowMethods?.length ||
      c.accessControlAllowOriginList?.length ||
      c.accessControlAllowOriginListRegex?.length ||
      c.accessControlExposeHeaders?.length ||
      (c.accessControlMaxAge !== undefined && c.accessControlMaxAge !== null) ||
      c.addVaryHeader,
  )
}

export function hasSecure(c: HeadersConfig): boolean {
  return Boolean(
    c.allowedHosts?.length ||
      c.hostsProxyHeaders?.length ||
      c.sslRedirect ||
      c.sslTemporaryRedirect ||
      c.sslForceHost ||
      c.sslHost ||
      (c.sslProxyHeaders && Object.keys(c.sslProxyHeaders).length) ||
      c.stsSeconds ||
      c.stsIncludeSubdomains ||
      c.stsPreload ||
      c.forceSTSHeader ||
      c.frameDeny ||
      c.customFrameOptionsValue ||
      c.contentTypeNosniff ||
      c.browserXssFilter ||
      c.customBrowserXSSValue ||
      c.contentSecurityPolicy ||
      c.contentSecurityPolicyReportOnly ||
      c.publicKey ||
      c.referrerPolicy ||
      c.featurePolicy ||
      c.permissionsPolicy ||
      c.isDevelopment,
  )
}

export interface HeadersSettings {
  withCors: boolean
  withSecure: boolean
  /** accessControlAllowOriginListRegex, compiled. */
  originRegexes: GoRegexp[]
}

export function headersConfig(config: HeadersConfig): HeadersSettings {
  const unsupported = headersUnsupported(config)
  if (unsupported) throw new UnsupportedConfig(unsupported)
  const withCors = hasCors(config)
  const withSecure = hasSecure(config)
  // Traefik refuses a headers middleware with nothing in it (an explicit empty map is let through,
  // as Traefik's own header tests drive it).
  if (!withCors && !withSecure && !config.customRequestHeaders && !config.customResponseHeaders) {
    throw new Error('headers: nothing configured')
  }
  const originRegexes = withCors ? compileOrigins(config) : []
  return { withCors, withSecure, originRegexes }
}

/** Throws (naming the field and pattern) on an origin regexp Go would not compile. */
function compileOrigins(c: HeadersConfig): GoRegexp[] {
  return (c.accessControlAllowOriginListRegex ?? []).map((pattern, i) => {
    try {
      return compileGoRegexp(pattern)
    } catch (err) {
      throw new Error(`headers.accessControlAllowOriginListRegex[${i}] ${JSON.stringify(pattern)}: ${(err as Error).message}`)
    }
  })
}
