import { describe, expect, it } from 'vitest'
import { compileGoSubmatch } from './submatch.ts'
import { compileGoRegexp } from './compile.ts'

// Expected values are Go's (regexp package documentation and behaviour of ReplaceAllString).
describe('Go submatches', () => {
  it('numbers groups as Go does and reports those that did not take part as -1', () => {
    const re = compileGoSubmatch('(a)(?:b)(?P<c>c)?(d|(e))')
    expect(re.groups).toBe(4)
    expect(re.names).toEqual(['', '', 'c', '', ''])
    expect([...re.exec('xxabd')!]).toEqual([2, 5, 2, 3, -1, -1, 4, 5, -1, -1])
  })

  it('is leftmost-first: the earliest start, then the preferred alternative, greedy or lazy', () => {
    expect([...compileGoSubmatch('a|ab').exec('ab')!]).toEqual([0, 1])
    expect([...compileGoSubmatch('(a+)(a*)').exec('aaa')!]).toEqual([0, 3, 0, 3, 3, 3])
    expect([...compileGoSubmatch('(a+?)(a*)').exec('aaa')!]).toEqual([0, 3, 0, 1, 1, 3])
    expect([...compileGoSubmatch('b+').exec('abbbc')!]).toEqual([1, 4])
    expect(compileGoSubmatch('^b').exec('ab')).toBeNull()
  })

  it('ReplaceAllString: all matches, Go template syntax, empty matches after a match skipped', () => {
    expect(compileGoSubmatch('a(x*)b').replaceAll('-ab-axxb-', '${1}W')).toBe('-W-xxW-')
    expect(compileGoSubmatch('a(x*)b').replaceAll('-ab-axxb-', '$1W')).toBe('---')
    expect(compileGoSubmatch('a(?P<x>x*)b').replaceAll('-ab-axxb-', '$x.')).toBe('-.-xx.-')
    expect(compileGoSubmatch('x*').replaceAll('abc', '-')).toBe('-a-b-c-')
    expect(compileGoSubmatch('a*').replaceAll('baaac', '-')).toBe('-b-c-')
    expect(compileGoSubmatch('/whoami').replaceAll('/whoami/and/whoami', '/who-am-i')).toBe('/who-am-i/and/who-am-i')
    expect(compileGoSubmatch('^http://').replaceAll('http://foo', 'https://$1')).toBe('https://foo')
    expect(compileGoSubmatch('(a)').replaceAll('a', '$$1 $ ${1 ${} $1')).toBe('$1 $ ${1 ${} a')
    expect(compileGoSubmatch('(a)').replaceAll('a', '$01|$2|${1}0')).toBe('||a0')
  })

  it('agrees with the matcher on whether there is a match', () => {
    const patterns = ['^(?i)/downloads/([^/]+)/([^/]+)$', '(https?)://[^/:]+(:[0-9]+)?/(.*)', '\\bfoo\\b', '(a|b)*c', '^$', '(?m)^x$']
    const inputs = ['', 'x', '/Downloads/src/a.go', 'http://www.example.com:8080/path', 'a foo b', 'ababc', 'y\nx\nz', 'foobar']
    for (const p of patterns) {
      const sub = compileGoSubmatch(p)
      const plain = compileGoRegexp(p)
      for (const i of inputs) expect(sub.test(i), `${p} on ${JSON.stringify(i)}`).toBe(plain.test(i))
    }
  })

  it('stays linear on patterns that make backtracking engines explode', () => {
    const re = compileGoSubmatch('(a*)*b')
    const input = 'a'.repeat(5000)
    expect(re.exec(input)).toBeNull()
    expect(re.replaceAll('aab', 'X')).toBe('X')
  })

  it('bounds the work of a search: a longer input has no match, and replaceAll leaves it as it is', () => {
    const re = compileGoSubmatch(`(${'x{0,1000}'.repeat(9)})y`)
    const fits = `${'x'.repeat(re.maxInput - 1)}y`
    expect(re.exec(fits)).not.toBeNull()
    expect(re.exec(`x${fits}`)).toBeNull()
    expect(re.exec(`x${fits}`, 1)).not.toBeNull()
    expect(re.replaceAll(`x${fits}`, 'Z')).toBe(`x${fits}`)
  })

  it('refuses what Go refuses', () => {
    expect(() => compileGoSubmatch('^(?err)/x')).toThrow()
    expect(() => compileGoSubmatch('^(.*')).toThrow()
  })
})
