// Random input never makes the parser or the checks throw anything but their own typed errors,
// and every input (regexps included) is handled in bounded time.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isRuleError } from './errors.ts'
import { checkRule } from './matchers.ts'
import { parseRule } from './parser.ts'

function outcome(rule: string): 'ok' | 'rule-error' {
  try {
    checkRule(parseRule(rule))
    return 'ok'
  } catch (e) {
    if (isRuleError(e)) return 'rule-error'
    throw e
  }
}

const fragments = fc.constantFrom(
  'Host', 'PathPrefix', 'HostRegexp', 'Query', 'ClientIP', 'Header', '(', ')', ',', '&&', '||', '!',
  '`', '"', '\\', ' ', '`a`', '`/x`', '`(a+)+`', '`[[:alpha:]]`', '`(?i)x`', '`::1/64`', '"\\x4"', 'm',
)
const ruleish = fc.array(fc.oneof(fragments, fc.string({ maxLength: 4 })), { maxLength: 20 }).map((p) => p.join(''))

describe('rule fuzz', () => {
  it('arbitrary strings only raise rule errors', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => void outcome(s)), { numRuns: 2000 })
  })

  it('rule-shaped strings only raise rule errors', () => {
    fc.assert(fc.property(ruleish, (s) => void outcome(s)), { numRuns: 3000 })
  })

  it('arbitrary regexps are translated or rejected, never crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (re) => {
        const rule = `PathRegexp(\`${re.replaceAll('`', '')}\`)`
        expect(['ok', 'rule-error']).toContain(outcome(rule))
      }),
      { numRuns: 2000 },
    )
  })

  it('rejects nested unbounded repeats that backtrack catastrophically', () => {
    expect(outcome('PathRegexp(`^(a+)+$`)')).toBe('rule-error')
    expect(outcome('HostRegexp(`(x*)*y`)')).toBe('rule-error')
    expect(outcome('PathRegexp(`^/(css|js)/.+$`)')).toBe('ok')
  })
})
