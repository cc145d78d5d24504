/**
 * A rule the edge cannot build, in Traefik's words (pkg/muxer/http: "error while parsing rule
 * R: parsing rule R: unsupported function: Pathh"), with what to write instead: the known
 * matchers, and the closest one.
 *
 * @module
 */
import { HTTP_MATCHERS } from '../../shared/rules/ast.ts'
import { RuleBuildError, RuleSyntaxError } from '../../shared/rules/index.ts'
import { closest } from '../compiler/diagnostics/suggest.ts'

export function ruleError(rule: string, err: unknown): string {
  const head = `error while parsing rule ${rule}`
  if (err instanceof RuleSyntaxError) {
    const name = err.unknownMatcher
    if (name === undefined) return `${head}: parsing rule ${rule}: ${err.message}`
    return `${head}: parsing rule ${rule}: unsupported function: ${name} (${matcherHint(name)})`
  }
  if (err instanceof RuleBuildError) return `${head}: adding rule ${rule}: ${err.message}`
  return `${head}: ${(err as Error).message}`
}

/** `known matchers: ClientIP, Header, ...; did you mean Path?` */
export function matcherHint(name: string): string {
  const known = Object.keys(HTTP_MATCHERS).sort()
  const near = closest(name, known)
  return `known matchers: ${known.join(', ')}${near ? `; did you mean ${near}?` : ''}`
}
