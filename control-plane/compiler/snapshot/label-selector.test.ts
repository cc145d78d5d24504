import { describe, expect, it } from 'vitest'
import { parseLabelSelector } from './label-selector.ts'

describe('parseLabelSelector', () => {
  const cases: Array<[string, Record<string, string> | undefined, boolean]> = [
    ['', undefined, true],
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'api' }, false],
    ['app=', { app: '' }, true],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['env in (a, b)', { env: 'b' }, true],
    ['env notin (a,b)', { env: 'b' }, false],
    ['env notin (a,b)', {}, true],
    ['release', { release: '' }, true],
    ['!legacy', { legacy: 'x' }, false],
    ['app=web, !legacy', { app: 'web' }, true],
    ['tier>2', { tier: '3' }, true],
    ['tier<2', { tier: '3' }, false],
    ['example.com/team=core', { 'example.com/team': 'core' }, true],
  ]
  for (const [selector, labels, want] of cases) {
    it(`${JSON.stringify(selector)} on ${JSON.stringify(labels)} is ${want}`, () => {
      expect(parseLabelSelector(selector)(labels)).toBe(want)
    })
  }

  it.each(['a=b,,c', 'env in (a', '=x', 'tier>x', 'a b c', 'bad key!=x'])('rejects %j', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(/invalid label selector/)
  })
})
