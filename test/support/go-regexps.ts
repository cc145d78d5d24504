// Random Go regexps and inputs (fast-check) for the checks of shared/rules/regexp against re2js
// (its property tests) and against Go itself (bench/regexp/vs-go.ts). A tiny alphabet, so that
// random inputs hit the patterns often, with the letters whose case folding crosses ASCII (k, s,
// the Kelvin sign, ſ) and a character beyond the BMP.
import fc from 'fast-check'

const ATOMS =
  'a b A . [ab] [^a] \\w \\s \\n ^ $ \\b \\B (?m:^) (?m:$) (?s:.) [[:upper:]] \\pL \\p{Lu} \\PL \\P{Lu} [\\p{Greek}a] é 🦭 k s [k-s] \\x{212a} \\d [^\\s] \\W \\Qa.\\E \\A \\z (?:) \\S [^\\n] [[:^alpha:]] [^\\W] (?i:é)'

/** Go patterns; with `named`, some groups are `(?P<g>...)` (so a pattern may name g twice). */
export function goPattern(options: { named?: boolean } = {}): fc.Arbitrary<string> {
  return fc.letrec<{ re: string; atom: string }>((tie) => ({
    atom: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...ATOMS.split(' ')),
      tie('re').map((r) => `(${r})`),
      tie('re').map((r) => (options.named ? `(?P<g>${r})` : `(${r})`)),
      tie('re').map((r) => `(?i:${r})`),
      tie('re').map((r) => `(?:${r})`),
      tie('re').map((r) => `(?s-m:${r})`),
    ),
    re: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('atom'),
      fc.tuple(tie('atom'), fc.constantFrom(...'* + ? {2} {1,3} {0,} *? +? ?? {0} {2,}?'.split(' '))).map(([a, q]) => `(?:${a})${q}`),
      fc.tuple(tie('atom'), fc.constantFrom('*', '+', '?', '{2}')).map(([a, q]) => `${a}${q}`),
      fc.tuple(tie('re'), tie('re')).map(([x, y]) => x + y),
      fc.tuple(tie('re'), tie('re')).map(([x, y]) => `${x}|${y}`),
      tie('re').map((r) => `(?i)${r}`),
      tie('re').map((r) => `(?U)${r}`),
      tie('re').map((r) => `(?m)${r}`),
    ),
  })).re
}

/** Inputs of up to 12 characters over the patterns' alphabet. */
export const goInput: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom('a', 'b', 'A', 'B', ' ', '\n', '_', 'é', 'É', '🦭', 'k', 'K', '\u212a', 's', 'ſ', 'α', '1'),
  maxLength: 12,
})
