/**
 * A Go regexp from a middleware's configuration: its syntax error names the field and the
 * pattern (redirectRegex, redirectScheme, replacePathRegex, stripPrefixRegex).
 *
 * @module
 */
import { compileGoSubmatch, type GoSubmatchRegexp } from '../rules/regexp/submatch.ts'

export function compileField(field: string, pattern: string): GoSubmatchRegexp {
  try {
    return compileGoSubmatch(pattern)
  } catch (err) {
    throw new Error(`${field}: ${JSON.stringify(pattern)}: ${(err as Error).message}`)
  }
}
