import { describe, expect, it } from 'vitest'
import { Re2Error, translateRe2 } from './re2.ts'

describe('translateRe2', () => {
  it('translates RE2 syntax to equivalent JavaScript', () => {
    expect(translateRe2('(?i)^abc$').test('ABC')).toBe(true)
    expect(translateRe2('^(?P<name>[a-z]+)\\.com$').exec('ab.com')?.groups?.name).toBe('ab')
    expect(translateRe2('\\Aab\\z').test('ab')).toBe(true)
    expect(translateRe2('\\Aab\\z').test('ab\n')).toBe(false)
    expect(translateRe2('^[[:digit:]]+$').test('123')).toBe(true)
    expect(translateRe2('^\\Qa.b\\E$').test('a.b')).toBe(true)
    expect(translateRe2('^\\Qa.b\\E$').test('axb')).toBe(false)
    expect(translateRe2('/{path:(css|js)}').test('/{path:css}')).toBe(true)
    expect(translateRe2('^a{2,3}$').test('aaa')).toBe(true)
    expect(translateRe2('(?i:x)y').test('Xy')).toBe(true)
  })

  it('rejects what RE2 rejects or JavaScript cannot do the same way', () => {
    for (const p of ['(?=a)', '(?<!a)b', '(a)\\1', '(?U)a+', 'a(?i)b', '\\pL', 'a{1001}', '(a', 'a)', '[a']) {
      expect(() => translateRe2(p), p).toThrow(Re2Error)
    }
  })

  it('rejects nested unbounded repeats', () => {
    expect(() => translateRe2('(a+)+')).toThrow(/catastrophically/)
    expect(() => translateRe2('(?:a|b*)*')).toThrow(/catastrophically/)
    expect(() => translateRe2('(ab)+c*')).not.toThrow()
  })
})
