/**
 * redirectRegex's and redirectScheme's configurations: both are a Go regexp over the request's
 * URL and a replacement (redirectScheme's are built from its scheme and port), 302/307 or, with
 * `permanent`, 301/308.
 *
 * @module
 */
import type { RedirectRegex, RedirectScheme } from '../dynamic/types.ts'
import type { GoSubmatchRegexp } from '../rules/regexp/submatch.ts'
import { compileField } from './regexp-field.ts'

export interface RedirectSettings {
  re: GoSubmatchRegexp
  replacement: string
  permanent: boolean
  /** Traefik's internal ForcePermanentRedirect (entry point redirections): 308 for every method. */
  forcePermanent: boolean
}

export function redirectRegexConfig(config: RedirectRegex): RedirectSettings {
  return {
    re: compileField('redirectRegex.regex', config.regex ?? ''),
    replacement: config.replacement ?? '',
    permanent: config.permanent === true,
    forcePermanent: false,
  }
}

const URI_PATTERN = '^(https?:\\/\\/)?(\\[[\\w:.]+\\]|[\\w\\._-]+)?(:\\d+)?(.*)$'

export function redirectSchemeConfig(config: RedirectScheme & { forcePermanentRedirect?: boolean }): RedirectSettings {
  if (!config.scheme) throw new Error('redirectScheme: you must provide a target scheme')
  const port =
    config.port && !((config.scheme === 'http' && config.port === '80') || (config.scheme === 'https' && config.port === '443')) ? `:${config.port}` : ''
  return {
    re: compileField('redirectScheme', URI_PATTERN),
    replacement: `${config.scheme}://\${2}${port}\${4}`,
    permanent: config.permanent === true,
    forcePermanent: config.forcePermanentRedirect === true,
  }
}
