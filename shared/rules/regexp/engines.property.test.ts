import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { goInput, goPattern } from '../../../test/support/go-regexps.ts'
import { compileLinear } from './linear.ts'
import { isBacktrackSafe } from './safety.ts'
import { parseRe2 } from './syntax.ts'
import { isTranslatable, toJsSource } from './to-js.ts'

const pattern = goPattern()
const input = goInput

// Pieces of Go syntax, valid and not, for the parser's accept/refuse decisions.
const soup = fc
  .array(
    fc.constantFrom(
      ...'a ( ) (? (?: (?i (?- (?P< (?< > n : | * + ? { } {2} {1, , 0 9 [ ] ^ $ - \\ \\d \\p \\P {L} {Greek} \\x \\Q \\E . [: :] alpha \\b \\z i s U \\1 \\0 \\8 \\pN \\C = ! # é \\é \\-'.split(
        ' ',
      ),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''))

const accepts = (compile: () => unknown): boolean => {
  try {
    compile()
    return true
  } catch {
    return false
  }
}

// re2js is a port of Go's engine (docs/libraries.md: no difference from Go's regexp on 20k random
// checks), so it stands for Go here; the hand-written parser and translation must agree with it.
describe('the JavaScript translation and re2js', () => {
  it('give the same answer on every translatable pattern and input', () => {
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 8 }), (p, inputs) => {
        const tree = parseRe2(p)
        fc.pre(isTranslatable(tree))
        const { source, flags } = toJsSource(tree)
        const js = new RegExp(source, flags)
        const re2 = compileLinear(p)
        for (const s of inputs) expect(js.test(s), `${p} on ${JSON.stringify(s)} (JS /${source}/${flags})`).toBe(re2.test(s))
      }),
      { numRuns: 600 },
    )
  })

  it('accept and refuse the same patterns', () => {
    fc.assert(
      fc.property(soup, (p) => {
        // re2js (RE2/J) refuses a `[:` inside a class with no `:]` after it, which Go reads as `[` and `:`.
        fc.pre(!/\[[^\]]*\[:(?![\s\S]*:\])/.test(p))
        expect(
          accepts(() => parseRe2(p)),
          p,
        ).toBe(accepts(() => compileLinear(p)))
      }),
      { numRuns: 3000 },
    )
  })

  it('only call patterns safe that JavaScript runs without blowing up', () => {
    // A safe pattern on a long adversarial input must finish quickly under backtracking; the
    // bound on steps is the input length times the pattern size (checked by wall clock only as
    // a generous ceiling, the property being that it does not explode).
    fc.assert(
      fc.property(pattern, (p) => {
        const tree = parseRe2(p)
        fc.pre(isBacktrackSafe(tree))
        const { source, flags } = toJsSource(tree)
        const re = new RegExp(source, flags)
        for (const s of ['a'.repeat(3000) + '!', 'ab'.repeat(1500) + '\n', 'A a'.repeat(1000)]) re.test(s)
      }),
      { numRuns: 200 },
    )
  })
})
