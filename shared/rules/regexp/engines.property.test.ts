import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileNfa } from './nfa.ts'
import { isBacktrackSafe } from './safety.ts'
import { parseRe2 } from './syntax.ts'
import { toJsSource } from './to-js.ts'

// Random Go patterns over a tiny alphabet, so that random inputs hit them often.
const pattern: fc.Arbitrary<string> = fc.letrec<{ re: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', 'A', '.', '[ab]', '[^a]', '\\w', '\\s', '\\n', '^', '$', '\\b', '\\B', '(?m:^)', '(?m:$)', '(?s:.)', '[[:upper:]]'),
    tie('re').map((r) => `(${r})`),
    tie('re').map((r) => `(?i:${r})`),
    tie('re').map((r) => `(?:${r})`),
  ),
  re: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('atom'),
    fc.tuple(tie('atom'), fc.constantFrom('*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?')).map(([a, q]) => `(?:${a})${q}`),
    fc.tuple(tie('re'), tie('re')).map(([x, y]) => x + y),
    fc.tuple(tie('re'), tie('re')).map(([x, y]) => `${x}|${y}`),
    tie('re').map((r) => `(?i)${r}`),
    tie('re').map((r) => `(?U)${r}`),
  ),
})).re

const input = fc.string({ unit: fc.constantFrom('a', 'b', 'A', 'B', ' ', '\n', '_'), maxLength: 12 })

describe('the JavaScript translation and the linear-time engine', () => {
  it('give the same answer on every pattern and input', () => {
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 8 }), (p, inputs) => {
        const tree = parseRe2(p)
        const { source, flags } = toJsSource(tree)
        const js = new RegExp(source, flags)
        const nfa = compileNfa(tree)
        for (const s of inputs) expect(nfa.test(s), `${p} on ${JSON.stringify(s)} (JS /${source}/${flags})`).toBe(js.test(s))
      }),
      { numRuns: 400 },
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
