import { describe, expect, it } from 'vitest'
import { compileGoRegexp, RegexpSyntaxError } from './compile.ts'
import { compileLinear } from './linear.ts'

// [Go pattern, input, Go's MatchString result]
const MATCHES: Array<[string, string, boolean]> = [
  ['^[a-zA-Z-]+\\.com$', 'example.com', true],
  ['^[a-zA-Z-]+\\.com$', 'example.org', false],
  ['^[A-Z]+\\.com$', 'example.com', false],
  // `{` that does not start a repeat is a literal.
  ['{domain:[a-zA-Z-]+\\.com}', 'example.com', false],
  ['{domain:[a-zA-Z-]+\\.com}', '{domain:example.com}', true],
  ['/{path:(css|js)}', '/{path:css}/', true],
  ['http{secure:s?}', 'http{secure:}', true],
  ['http{secure:s?}', 'http{secure:S}', false],
  ['x{2,3}y', 'xxy', true],
  ['x{2,3}y', 'xy', false],
  ['x{2,}y', 'xxxxy', true],
  ['x{,3}', 'x{,3}', true],
  // Flags: anywhere, scoped to the group, across alternatives.
  ['^https?$', 'HTTPS', false],
  ['(?i)^https?$', 'HTTPS', true],
  ['a(?i)b|c', 'aB', true],
  ['a(?i)b|c', 'C', true],
  ['a(?i)b|c', 'AB', false],
  ['(?i:a)b', 'Ab', true],
  ['(?i:a)b', 'AB', false],
  ['(?i)a(?-i)b', 'Ab', true],
  ['(?i)a(?-i)b', 'AB', false],
  ['(?i)k', '\u212a', true],
  ['(?U)a+', 'aaa', true],
  ['(?s).', '\n', true],
  ['.', '\n', false],
  // Go's dot excludes only \n (JavaScript's also excludes \r and the line separators).
  ['^.$', '\r', true],
  ['^.$', '\u2028', true],
  ['(?m)^b$', 'a\nb\nc', true],
  ['^b$', 'a\nb\nc', false],
  ['\\Ab\\z', 'b', true],
  ['\\Ab\\z', 'b\n', false],
  // Go's \s is [\t\n\f\r ]: no vertical tab, no Unicode spaces.
  ['^\\s$', '\v', false],
  ['^\\s$', '\u00a0', false],
  ['^\\S$', '\u00a0', true],
  ['^\\d$', '\u0663', false],
  ['^\\w+$', 'é', false],
  ['\\pL', 'é', true],
  ['\\p{Greek}', 'α', true],
  ['\\PL', 'é', false],
  ['\\p{^L}', '1', true],
  ['[\\p{Lu}\\d]', '7', true],
  ['[[:alpha:]]+$', '123', false],
  ['[[:^digit:]]', 'a', true],
  ['\\Qa.b\\E', 'axb', false],
  ['\\Qa.b\\E', 'a.b', true],
  ['[]a]', ']', true],
  ['[^]a]', ']', false],
  ['[a-]', '-', true],
  ['[\\d-z]', '-', true],
  ['\\bfoo\\b', 'a foo b', true],
  ['\\bfoo\\b', 'afoob', false],
  ['\\Bfoo', 'afoo', true],
  ['\\x{1F9AD}', '🦭', true],
  ['^.$', '🦭', true],
  ['\\101\\x41', 'AA', true],
  ['(?P<first>a)(?<second>b)', 'ab', true],
  ['^$', '', true],
  ['', 'anything', true],
  ['a|', 'zzz', true],
  ['(a+)+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', false],
  ['(a|aa)*c', 'aaaac', true],
  // Go accepts a group that sets no flag.
  ['(?)a', 'a', true],
  // Go folds a negated class before negating it: ſ and the Kelvin sign fold into \w.
  ['(?i)\\W', '\u017f', false],
  ['(?i)[[:^alpha:]]', '\u212a', false],
  ['\\W', '\u017f', true],
  ['(?i)\\P{Lu}', 'a', false],
  ['(?i)^\\P{Lu}$', '1', true],
  ['(?i)\\b', '\u017f', false],
  ['(?i)k\\b', 'k\u017f', true],
  ['\\B', 'a\u{1f9ad}a', false],
  ['(?m)^$', '\u{1f9ad}', false],
  ['(?m)$', '\u{1f9ad}', true],
  ['a|(?i:\\x{212a})', 'k', true],
]

// [pattern, offset of the error]
const REJECTED: Array<[string, number]> = [
  ['(example.com', 0],
  ['/(css', 1],
  ['a**', 2],
  ['a++', 2],
  ['a{2}{3}', 4],
  ['*a', 0],
  ['a|*', 2],
  ['(?=a)', 0],
  ['(?!a)', 0],
  ['(?<=a)b', 0],
  ['(?<!a)b', 0],
  ['(a)\\1', 3],
  ['x{1001}', 1],
  ['x{2,1}', 1],
  ['\\pX', 0],
  ['\\p{Grek}', 0],
  ['\\p{Letter}', 0],
  ['[z-a]', 1],
  ['[a-\\d]', 1],
  ['(?P<n>a)(?P<n>b)', 8],
  ['(?P<>a)', 0],
  ['(?P=n)', 0],
  ['\\C', 0],
  ['\\Z', 0],
  ['\\e', 0],
  ['a)', 1],
  ['[a', 0],
  ['(?i-)', 0],
  ['(?#c)', 0],
  ['(?x)a', 0],
  ['\\', 0],
  ['\\x4', 0],
  ['\\x{110000}', 0],
  ['[[:foo:]]', 1],
  ['[[:]:]]', 1],
  ['[a[:b]c:]]', 2],
]

describe('Go regexps', () => {
  it.each(MATCHES)('%j on %j is %s', (pattern, input, want) => {
    const re = compileGoRegexp(pattern)
    expect(re.test(input)).toBe(want)
    // Both engines agree whichever one the pattern runs on.
    expect(compileLinear(pattern).test(input)).toBe(want)
  })

  it('reads `[:` up to the next `:]` only when one follows, as Go does (re2js refuses it)', () => {
    const re = compileGoRegexp('^[[:]$')
    expect(re.engine).toBe('js')
    expect(re.test(':')).toBe(true)
    expect(() => compileLinear('^[[:]$')).toThrow(RegexpSyntaxError)
  })

  it.each(REJECTED)('rejects %j at offset %i', (pattern, offset) => {
    let error: unknown
    try {
      compileGoRegexp(pattern)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(RegexpSyntaxError)
    expect((error as RegexpSyntaxError).offset).toBe(offset)
  })

  it.each([
    ['^[a-z0-9-]+\\.example\\.com$', 'js'],
    ['^/api/v[0-9]+/users/[0-9]+$', 'js'],
    ['^/(css|js)/', 'js'],
    ['^/api/.*', 'js'],
    ['^https?$', 'js'],
    // Unanchored unbounded repeat: n start positions times a scan to the end.
    ['[a-z]+\\.com', 'linear'],
    // `.+` can give back the `.` that follows it.
    ['^.+\\.example\\.com$', 'linear'],
    ['(a+)+$', 'linear'],
    ['^(a|aa)*$', 'linear'],
    ['^(\\w+\\s?)*$', 'linear'],
    ['^a*a*b', 'linear'],
  ])('%j runs on the %s engine', (pattern, engine) => {
    expect(compileGoRegexp(pattern).engine).toBe(engine)
  })

  it('matches catastrophic patterns in linear time', () => {
    // Would take longer than the universe's age under backtracking; here a few ms.
    const input = 'a'.repeat(5_000) + '!'
    for (const p of ['(a+)+$', '^(a|aa)*$', '(?:a*)*b', '^(\\w+\\s?)*$', '(.*a){20}$']) {
      const re = compileGoRegexp(p)
      expect(re.maxInput).toBeGreaterThan(input.length)
      expect(re.test(input)).toBe(false)
    }
  })

  it('bounds the work of a match: an input longer than maxInput does not match, on either engine', () => {
    const heavy = compileGoRegexp(`${'x{0,1000}'.repeat(9)}y`)
    expect(heavy.engine).toBe('linear')
    expect(heavy.states).toBe(18_001)
    expect(heavy.test(`${'x'.repeat(heavy.maxInput - 1)}y`)).toBe(true)
    expect(heavy.test(`${'x'.repeat(heavy.maxInput)}y`)).toBe(false)
    const light = compileGoRegexp('^/a')
    expect(light.engine).toBe('js')
    expect(light.test(`/a${'b'.repeat(light.maxInput - 2)}`)).toBe(true)
    expect(light.test(`/a${'b'.repeat(light.maxInput - 1)}`)).toBe(false)
    // Usual patterns match usual inputs: a 16 KB URL.
    expect(compileGoRegexp('^/api/v[0-9]+/users/[a-z0-9-]+$').maxInput).toBeGreaterThan(16_384)
  })

  it('refuses counted repeats too large to unroll', () => {
    expect(() => compileGoRegexp('((a{1000}){1000})*b')).toThrow(RegexpSyntaxError)
  })
})
