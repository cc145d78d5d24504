/**
 * replacePathRegex's and stripPrefixRegex's configurations: Go regexps (trimmed, as Traefik
 * does), each syntax error naming its field.
 *
 * @module
 */
import type { ReplacePathRegex, StripPrefixRegex } from '../dynamic/types.ts'
import type { GoSubmatchRegexp } from '../rules/regexp/submatch.ts'
import { compileField } from './regexp-field.ts'

export function replacePathRegexConfig(config: ReplacePathRegex): { re: GoSubmatchRegexp; replacement: string } {
  return { re: compileField('replacePathRegex.regex', (config.regex ?? '').trim()), replacement: (config.replacement ?? '').trim() }
}

export function stripPrefixRegexConfig(config: StripPrefixRegex): { expressions: GoSubmatchRegexp[] } {
  return { expressions: (Array.isArray(config.regex) ? config.regex : []).map((r, i) => compileField(`stripPrefixRegex.regex[${i}]`, r.trim())) }
}
