/**
 * The linear-time engine: re2js (a port of RE2/J, itself Go's regexp in Java), for every pattern
 * that does not run as a JavaScript RegExp, and for every search with submatches. Its DFA,
 * one-pass and NFA matchers cost O(input × pattern) like Go's, and its results are Go's
 * (docs/libraries.md: no difference from Go 1.19 on 20k random pattern × input checks).
 *
 * @module
 */
import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js'
import { RegexpSyntaxError } from './syntax.ts'

/**
 * Compiles a pattern that ./syntax.ts accepted and sized (./budget.ts): re2js builds its whole
 * program, so the size is checked before. Throws RegexpSyntaxError where re2js still refuses.
 */
export function compileLinear(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern)
  } catch (e) {
    if (!(e instanceof RE2JSException)) throw e
    const text = e instanceof RE2JSSyntaxException ? e.input : null
    throw new RegexpSyntaxError(text ? Math.max(0, pattern.indexOf(text)) : 0, e.message.replace(/^error parsing regexp: /, ''))
  }
}
