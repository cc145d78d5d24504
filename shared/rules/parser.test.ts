import { describe, expect, it } from 'vitest'
import { RuleBuildError, RuleSyntaxError } from './errors.ts'
import { checkRule } from './matchers.ts'
import { parseRule } from './parser.ts'

function syntaxError(rule: string): RuleSyntaxError {
  try {
    parseRule(rule)
  } catch (e) {
    if (e instanceof RuleSyntaxError) return e
    throw e
  }
  throw new Error(`no error for ${rule}`)
}

describe('parseRule', () => {
  it('gives && precedence over || and pushes nothing else', () => {
    expect(parseRule('Path(`/a`) || Path(`/b`) && !Method(`GET`)')).toMatchObject({
      type: 'or',
      left: { type: 'matcher', name: 'Path', args: ['/a'] },
      right: { type: 'and', right: { type: 'not', operand: { name: 'Method' } } },
    })
  })

  it('reads Go double-quoted strings with escapes', () => {
    expect(parseRule('Path("/a\\x41\\u00e9\\"\\101")')).toMatchObject({ args: ['/aAé"A'] })
  })

  it('accepts the four spellings of a matcher name only', () => {
    for (const n of ['PathPrefix', 'pathprefix', 'PATHPREFIX', 'Pathprefix']) {
      expect(parseRule(`${n}(\`/\`)`)).toMatchObject({ name: 'PathPrefix' })
    }
    expect(syntaxError('pathPrefix(`/`)').position).toBe(0)
  })

  it('locates errors and says what was expected', () => {
    expect(syntaxError('Host(`a`) &&')).toMatchObject({ position: 12, expected: 'a matcher or `(`' })
    expect(syntaxError('Host(example.com)')).toMatchObject({ position: 5 })
    expect(syntaxError('(Host(`a`)')).toMatchObject({ position: 10, expected: '`)`' })
    expect(syntaxError('Host(`a`))').position).toBe(9)
    expect(syntaxError("Host('a')").position).toBe(5)
    expect(syntaxError('Host(`a').position).toBe(5)
    expect(syntaxError('').expected).toBe('a rule')
  })

  it('keeps the tree plain JSON', () => {
    const tree = parseRule('Host(`a`) && PathRegexp(`^/x`)')
    expect(JSON.parse(JSON.stringify(tree))).toEqual(tree)
  })
})

describe('checkRule', () => {
  const buildError = (rule: string): RuleBuildError => {
    try {
      checkRule(parseRule(rule))
    } catch (e) {
      if (e instanceof RuleBuildError) return e
      throw e
    }
    throw new Error(`no error for ${rule}`)
  }

  it('rejects bad arguments at their position', () => {
    expect(buildError('Host(`a`) && Path(`x`)')).toMatchObject({ matcher: 'Path', position: 18 })
    expect(buildError('Host(`a`, `b`)').message).toMatch(/takes 1 argument/)
    expect(buildError('PathRegexp(`/(?=x)`)').message).toMatch(/lookaround/)
    expect(buildError('ClientIP(`10.0.0.0/33`)').message).toMatch(/invalid IP or CIDR/)
    expect(buildError('Host(`🦭.com`)').message).toMatch(/ASCII/)
  })
})
