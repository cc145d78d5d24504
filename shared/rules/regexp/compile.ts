/**
 * Kept by hand (the parser, ./safety.ts and ./to-js.ts) because it wins on a measured point: a
 * backtrack-safe pattern runs as a native RegExp in ~50 ns per test, re2js takes 0.5-2 µs
 * (docs/libraries.md); everything else runs on re2js (./linear.ts).
 *
 * Go regexps for the edge: parsed with Go's syntax and rules, then run either as a JavaScript
 * RegExp (when a backtracking engine provably stays linear on it) or by re2js, a linear-time
 * engine. Either way a match costs O(input × pattern), as in Go; and since patterns come from
 * route authors and inputs from clients, that product is bounded too: an input longer than
 * `maxInput` (MATCH_WORK_BUDGET / the pattern's states) does not match, which the router treats
 * as any non-match. The table build reports patterns whose bound is short (rule diagnostics).
 *
 * @module
 */
import { maxMatchInput, programSize, refuseTooLarge } from './budget.ts'
import { compileLinear } from './linear.ts'
import { isBacktrackSafe } from './safety.ts'
import { parseRe2, RegexpSyntaxError } from './syntax.ts'
import { isTranslatable, toJsSource } from './to-js.ts'

export interface GoRegexp {
  /** Go's MatchString; false, without running, for an input longer than maxInput. */
  test(input: string): boolean
  /** Which engine runs it (for docs, tests and benchmarks). */
  readonly engine: 'js' | 'linear'
  /** Size of the pattern's automaton (counted repeats unrolled). */
  readonly states: number
  /** The longest input a match runs on. */
  readonly maxInput: number
}

export { RegexpSyntaxError }

/** Compiles a Go regexp. Throws RegexpSyntaxError (with the offset in the pattern). */
export function compileGoRegexp(pattern: string): GoRegexp {
  const tree = parseRe2(pattern)
  const states = programSize(tree)
  const maxInput = maxMatchInput(states)
  if (isBacktrackSafe(tree) && isTranslatable(tree)) {
    const { source, flags } = toJsSource(tree)
    let re: RegExp
    try {
      re = new RegExp(source, flags)
    } catch (e) {
      throw new RegexpSyntaxError(0, `cannot be translated: ${(e as Error).message}`)
    }
    return { test: (input) => input.length <= maxInput && re.test(input), engine: 'js', states, maxInput }
  }
  // Sized on the tree (re2js would build the whole program first), with the final match instruction.
  refuseTooLarge(states + 1)
  const re = compileLinear(pattern)
  return { test: (input) => input.length <= maxInput && re.test(input), engine: 'linear', states, maxInput }
}
