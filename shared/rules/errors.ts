/**
 * The two errors a rule can raise. Both carry where in the rule text the problem is, so the
 * compiler can report a bad rule as a located diagnostic and keep every other router.
 *
 * @module
 */

/** The rule text is not a well-formed v3 rule (tokens, parentheses, operators, matcher names). */
export class RuleSyntaxError extends Error {
  /** 0-based offset in `rule` (UTF-16 units) where the problem starts. */
  readonly position: number
  /** What the parser wanted there, in words ("a matcher name", "`)`"...). */
  readonly expected: string
  readonly rule: string
  /** The name, when the problem is a matcher that does not exist (`Pathh`). */
  readonly unknownMatcher?: string

  constructor(rule: string, position: number, expected: string, found?: string, unknownMatcher?: string) {
    const what = found === undefined ? '' : `, found ${found}`
    super(`rule syntax error at ${position}: expected ${expected}${what}`)
    this.name = 'RuleSyntaxError'
    this.rule = rule
    this.position = position
    this.expected = expected
    if (unknownMatcher !== undefined) this.unknownMatcher = unknownMatcher
  }
}

/**
 * The rule is well formed but one matcher cannot be built: wrong number of arguments, empty
 * argument, invalid regexp or CIDR, a Path without its leading slash... (Traefik rejects the
 * router for these when it builds its muxer).
 */
export class RuleBuildError extends Error {
  /** 0-based offset in the rule text of the matcher (or of the argument) at fault; -1 if unknown. */
  readonly position: number
  /** The matcher's canonical name (`PathPrefix`...). */
  readonly matcher: string

  constructor(matcher: string, position: number, message: string) {
    super(position >= 0 ? `${matcher} at ${position}: ${message}` : `${matcher}: ${message}`)
    this.name = 'RuleBuildError'
    this.matcher = matcher
    this.position = position
  }
}

/** True for the errors a rule can raise (anything else escaping this package is a bug). */
export function isRuleError(e: unknown): e is RuleSyntaxError | RuleBuildError {
  return e instanceof RuleSyntaxError || e instanceof RuleBuildError
}
