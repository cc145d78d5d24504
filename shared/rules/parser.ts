/**
 * Rule text to tree, with Go's precedence (`!` over `&&` over `||`, binary operators left
 * associative). Grammar only: argument counts and values are checked by ./check.ts, as Traefik
 * checks them when it builds the router.
 *
 * @module
 */
import { HTTP_MATCHERS, matcherSpellings, type MatcherNode, type RuleNode } from './ast.ts'
import { RuleSyntaxError } from './errors.ts'
import { tokenize, type Token } from './lexer.ts'

const HTTP_SPELLINGS = matcherSpellings(Object.keys(HTTP_MATCHERS))

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of rule'
  if (t.kind === 'ident') return `\`${t.value}\``
  if (t.kind === 'string') return 'a string'
  if (t.kind === 'other') return t.value === "'" ? 'a character literal' : JSON.stringify(t.value)
  return `\`${t.kind}\``
}

/**
 * Parses a v3 rule. `matchers` (canonical names) defaults to Traefik's HTTP matchers; tests of
 * the bare grammar pass their own.
 */
export function parseRule(rule: string, matchers?: Iterable<string>): RuleNode {
  const spellings = matchers === undefined ? HTTP_SPELLINGS : matcherSpellings(matchers)
  const tokens = tokenize(rule)
  let pos = 0
  const peek = (): Token => tokens[pos] ?? { kind: 'eof', at: rule.length }
  const fail = (expected: string): never => {
    const t = peek()
    throw new RuleSyntaxError(rule, t.at, expected, describe(t))
  }

  function parseOr(): RuleNode {
    let left = parseAnd()
    while (peek().kind === '||') {
      pos++
      left = { type: 'or', left, right: parseAnd() }
    }
    return left
  }

  function parseAnd(): RuleNode {
    let left = parseUnary()
    while (peek().kind === '&&') {
      pos++
      left = { type: 'and', left, right: parseUnary() }
    }
    return left
  }

  function parseUnary(): RuleNode {
    if (peek().kind === '!') {
      pos++
      return { type: 'not', operand: parseUnary() }
    }
    return parsePrimary()
  }

  function parsePrimary(): RuleNode {
    const t = peek()
    if (t.kind === '(') {
      pos++
      const inner = parseOr()
      if (peek().kind !== ')') fail('`)`')
      pos++
      return inner
    }
    if (t.kind !== 'ident') return fail('a matcher or `(`')
    const name = spellings.get(t.value)
    if (name === undefined) {
      throw new RuleSyntaxError(rule, t.at, 'a known matcher', `unknown matcher \`${t.value}\``, t.value)
    }
    pos++
    if (peek().kind !== '(') fail(`\`(\` after ${t.value}`)
    pos++
    const node: MatcherNode = { type: 'matcher', name, args: [], at: t.at, argsAt: [] }
    while (peek().kind !== ')') {
      const a = peek()
      if (a.kind !== 'string') return fail('a backtick or double-quoted string argument')
      node.args.push(a.value)
      node.argsAt.push(a.at)
      pos++
      if (peek().kind === ',') pos++
      else if (peek().kind !== ')') fail('`,` or `)`')
    }
    pos++
    return node
  }

  if (peek().kind === 'eof') fail('a rule')
  const tree = parseOr()
  if (peek().kind !== 'eof') fail('`&&`, `||` or end of rule')
  return tree
}
