// Random input never makes the parser or the checks throw anything but their own typed errors,
// and every input (regexps included) is handled in bounded time: regexps run in time linear in
// the input (./regexp), which the last two tests exercise on inputs that would hang a
// backtracking engine (the test timeout is the bound).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isRuleError } from './errors.ts'
import { checkRule, compileMatcher } from './matchers.ts'
import { parseRule } from './parser.ts'
import { requestToMatchRequest } from './request.ts'

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
  'Host',
  'PathPrefix',
  'HostRegexp',
  'Query',
  'ClientIP',
  'Header',
  '(',
  ')',
  ',',
  '&&',
  '||',
  '!',
  '`',
  '"',
  '\\',
  ' ',
  '`a`',
  '`/x`',
  '`(a+)+`',
  '`[[:alpha:]]`',
  '`(?i)x`',
  '`::1/64`',
  '"\\x4"',
  'm',
)
const ruleish = fc.array(fc.oneof(fragments, fc.string({ maxLength: 4 })), { maxLength: 20 }).map((p) => p.join(''))

describe('rule fuzz', () => {
  it('arbitrary strings only raise rule errors', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => void outcome(s)),
      { numRuns: 2000 },
    )
  })

  it('rule-shaped strings only raise rule errors', () => {
    fc.assert(
      fc.property(ruleish, (s) => void outcome(s)),
      { numRuns: 3000 },
    )
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

  it('accepts what Go accepts, catastrophic patterns included, and matches them in linear time', () => {
    // Traefik accepts these; a backtracking engine would not finish on the inputs below.
    for (const rule of ['PathRegexp(`^(a+)+$`)', 'PathRegexp(`(x*)*y`)', 'PathRegexp(`^/(a|aa)*$`)']) {
      expect(outcome(rule)).toBe('ok')
      const match = compileMatcher(parseRule(rule))
      const req = requestToMatchRequest(new Request(`http://h/${'a'.repeat(30_000)}!`), '127.0.0.1')
      expect(match(req)).toBe(false)
    }
    expect(outcome('PathRegexp(`^/(css|js)/.+$`)')).toBe('ok')
  })

  it('random accepted regexps finish on long adversarial inputs', () => {
    const pieces = fc.constantFrom('a', 'a*', 'a+', '(a|aa)', '(a*)*', '.*', '.+', '(?i)', '[ab]+', '|', '^', '$', '(', ')', '?', '{2,5}', 'b')
    const inputs = ['a'.repeat(5000) + '!', 'ab'.repeat(2500), 'A'.repeat(5000) + 'b']
    fc.assert(
      fc.property(
        fc.array(pieces, { maxLength: 12 }).map((p) => p.join('')),
        (re) => {
          const rule = `PathRegexp(\`${re}\`)`
          if (outcome(rule) !== 'ok') return
          const match = compileMatcher(parseRule(rule))
          for (const path of inputs) match({ host: 'h', method: 'GET', path, headers: new Headers(), query: new URLSearchParams(), clientIp: '' })
        },
      ),
      { numRuns: 300 },
    )
  })
})
