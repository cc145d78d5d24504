/**
 * Go regexps for the edge: parsed with Go's syntax and rules, then run either as a JavaScript
 * RegExp (when a backtracking engine provably stays linear on it) or by the linear-time
 * automaton. Either way a match costs O(input × pattern), as in Go.
 *
 * @module
 */
import { compileNfa, ProgramTooLargeError } from './nfa.ts'
import { isBacktrackSafe } from './safety.ts'
import { parseRe2, RegexpSyntaxError } from './syntax.ts'
import { toJsSource } from './to-js.ts'

export interface GoRegexp {
  test(input: string): boolean
  /** Which engine runs it (for docs, tests and benchmarks). */
  readonly engine: 'js' | 'linear'
}

export { RegexpSyntaxError }

/** Compiles a Go regexp. Throws RegexpSyntaxError (with the offset in the pattern). */
export function compileGoRegexp(pattern: string): GoRegexp {
  const tree = parseRe2(pattern)
  if (isBacktrackSafe(tree)) {
    const { source, flags } = toJsSource(tree)
    let re: RegExp
    try {
      re = new RegExp(source, flags)
    } catch (e) {
      throw new RegexpSyntaxError(0, `cannot be translated: ${(e as Error).message}`)
    }
    return { test: re.test.bind(re), engine: 'js' }
  }
  try {
    const nfa = compileNfa(tree)
    return { test: nfa.test, engine: 'linear' }
  } catch (e) {
    if (e instanceof ProgramTooLargeError) throw new RegexpSyntaxError(0, `expression too large: ${e.message}`)
    throw e
  }
}
