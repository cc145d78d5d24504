/**
 * Tokens of a v3 rule. Traefik parses rules as Go expressions, so the tokens are Go's subset that
 * a rule can use: identifiers, backtick raw strings, double-quoted strings with Go escapes,
 * parentheses, commas and the operators `&&`, `||`, `!`.
 *
 * @module
 */
import { RuleSyntaxError } from './errors.ts'

export type Token =
  | { kind: 'ident'; value: string; at: number }
  | { kind: 'string'; value: string; at: number }
  /** Anything else (a number, a char literal, `.`...): the parser reports it where it stands. */
  | { kind: 'other'; value: string; at: number }
  | { kind: '(' | ')' | ',' | '&&' | '||' | '!' | 'eof'; at: number }

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
}

function isIdentStart(c: string): boolean {
  return /[\p{L}_]/u.test(c)
}

function isIdentPart(c: string): boolean {
  return /[\p{L}\p{Nd}_]/u.test(c)
}

/** Go's strconv.Unquote for a double-quoted literal starting at `start`; returns value and end. */
function readQuoted(rule: string, start: number): { value: string; end: number } {
  let out = ''
  let i = start + 1
  while (i < rule.length) {
    const c = rule[i]
    if (c === '"') return { value: out, end: i + 1 }
    if (c === '\n') break
    if (c !== '\\') {
      out += c
      i++
      continue
    }
    const e = rule[i + 1]
    if (e !== undefined && e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e]
      i += 2
      continue
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0
    if (hexLen > 0) {
      const hex = rule.slice(i + 2, i + 2 + hexLen)
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLen) {
        throw new RuleSyntaxError(rule, i, `${hexLen} hex digits after \\${e}`)
      }
      const code = Number.parseInt(hex, 16)
      if (e === 'x') out += String.fromCharCode(code)
      else if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) {
        throw new RuleSyntaxError(rule, i, 'a valid Unicode code point')
      } else out += String.fromCodePoint(code)
      i += 2 + hexLen
      continue
    }
    const oct = rule.slice(i + 1, i + 4)
    if (/^[0-7]{3}$/.test(oct) && Number.parseInt(oct, 8) < 256) {
      out += String.fromCharCode(Number.parseInt(oct, 8))
      i += 4
      continue
    }
    throw new RuleSyntaxError(rule, i, 'a valid escape sequence')
  }
  throw new RuleSyntaxError(rule, start, 'a closing `"`')
}

export function tokenize(rule: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < rule.length) {
    const c = rule[i] ?? ''
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    if (c === '(' || c === ')' || c === ',' || c === '!') {
      tokens.push({ kind: c, at: i })
      i++
      continue
    }
    if ((c === '&' || c === '|') && rule[i + 1] === c) {
      tokens.push({ kind: c === '&' ? '&&' : '||', at: i })
      i += 2
      continue
    }
    if (c === '`') {
      const end = rule.indexOf('`', i + 1)
      if (end < 0) throw new RuleSyntaxError(rule, i, 'a closing backtick')
      // Go drops carriage returns from raw strings.
      tokens.push({ kind: 'string', value: rule.slice(i + 1, end).replaceAll('\r', ''), at: i })
      i = end + 1
      continue
    }
    if (c === '"') {
      const { value, end } = readQuoted(rule, i)
      tokens.push({ kind: 'string', value, at: i })
      i = end
      continue
    }
    if (isIdentStart(c)) {
      let j = i + 1
      while (j < rule.length && isIdentPart(rule[j] ?? '')) j++
      tokens.push({ kind: 'ident', value: rule.slice(i, j), at: i })
      i = j
      continue
    }
    tokens.push({ kind: 'other', value: c, at: i })
    i++
  }
  tokens.push({ kind: 'eof', at: rule.length })
  return tokens
}
