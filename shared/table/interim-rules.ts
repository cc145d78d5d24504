/**
 * INTERIM: a small subset of Traefik's v3 rule language (Host, HostRegexp, Path, PathPrefix,
 * Method, Header, Query with &&, ||, ! and parentheses), used by ./rules.ts only until
 * shared/rules (the RULES engineer's full implementation) lands. Rules outside the subset are
 * refused with a clear error rather than matched approximately.
 *
 * @module
 */
import type { MatchRequest } from './match-request.ts'

export type InterimTree =
  | { op: 'and' | 'or'; left: InterimTree; right: InterimTree }
  | { op: 'not'; inner: InterimTree }
  | { op: 'call'; name: string; args: string[] }

const ARITY: Record<string, number[]> = {
  Host: [1], HostRegexp: [1], Path: [1], PathPrefix: [1], Method: [1], Header: [2], Query: [1, 2],
}

export function parseInterimRule(rule: string): InterimTree {
  const tokens = tokenize(rule)
  let i = 0
  const peek = () => tokens[i]
  const expect = (t: string) => {
    if (tokens[i]?.value !== t || tokens[i]?.kind === 'string') throw new Error(`expected ${t} in rule ${JSON.stringify(rule)}`)
    i++
  }
  const or = (): InterimTree => {
    let left = and()
    while (peek()?.value === '||' && peek()?.kind === 'op') {
      i++
      left = { op: 'or', left, right: and() }
    }
    return left
  }
  const and = (): InterimTree => {
    let left = unary()
    while (peek()?.value === '&&' && peek()?.kind === 'op') {
      i++
      left = { op: 'and', left, right: unary() }
    }
    return left
  }
  const unary = (): InterimTree => {
    const t = peek()
    if (t?.kind === 'op' && t.value === '!') {
      i++
      return { op: 'not', inner: unary() }
    }
    if (t?.kind === 'op' && t.value === '(') {
      i++
      const inner = or()
      expect(')')
      return inner
    }
    if (t?.kind !== 'ident') throw new Error(`unexpected ${t ? JSON.stringify(t.value) : 'end'} in rule ${JSON.stringify(rule)}`)
    i++
    const name = canonicalName(t.value)
    expect('(')
    const args: string[] = []
    while (peek()?.kind === 'string') {
      args.push(tokens[i++]!.value)
      if (peek()?.kind === 'op' && peek()?.value === ',') i++
      else break
    }
    expect(')')
    if (!ARITY[name]!.includes(args.length)) throw new Error(`${name} takes ${ARITY[name]!.join(' or ')} arguments`)
    if (args.some((a) => a === '')) throw new Error(`${name}: empty argument`)
    if ((name === 'Path' || name === 'PathPrefix') && !args[0]!.startsWith('/')) throw new Error(`${name}: path must start with /`)
    return { op: 'call', name, args }
  }
  const tree = or()
  if (i !== tokens.length) throw new Error(`unexpected ${JSON.stringify(tokens[i]!.value)} in rule ${JSON.stringify(rule)}`)
  return tree
}

function canonicalName(ident: string): string {
  for (const name of Object.keys(ARITY)) {
    const lower = name.toLowerCase()
    if ([name, lower, name.toUpperCase(), lower[0]!.toUpperCase() + lower.slice(1)].includes(ident)) return name
  }
  throw new Error(`unsupported matcher ${ident} (the interim rule matcher knows ${Object.keys(ARITY).join(', ')})`)
}

interface Token {
  kind: 'ident' | 'string' | 'op'
  value: string
}

function tokenize(rule: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < rule.length) {
    const c = rule[i]!
    if (/\s/.test(c)) i++
    else if (c === '`') {
      const end = rule.indexOf('`', i + 1)
      if (end === -1) throw new Error('unterminated string')
      out.push({ kind: 'string', value: rule.slice(i + 1, end).replaceAll('\r', '') })
      i = end + 1
    } else if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(rule.slice(i))
      if (!m) throw new Error('unterminated string')
      out.push({ kind: 'string', value: JSON.parse(m[0]) as string })
      i += m[0].length
    } else if (rule.startsWith('&&', i) || rule.startsWith('||', i)) {
      out.push({ kind: 'op', value: rule.slice(i, i + 2) })
      i += 2
    } else if ('()!,'.includes(c)) {
      out.push({ kind: 'op', value: c })
      i++
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rule.slice(i))
      if (!m) throw new Error(`unexpected ${JSON.stringify(c)}`)
      out.push({ kind: 'ident', value: m[0] })
      i += m[0].length
    }
  }
  if (out.length === 0) throw new Error('empty rule')
  return out
}

/** The exact hosts the rule can only match, or null. */
export function interimHosts(tree: InterimTree): string[] | null {
  switch (tree.op) {
    case 'call':
      return tree.name === 'Host' && !tree.args[0]!.includes('*') ? [normalize(tree.args[0]!)] : null
    case 'not':
      return null
    case 'and': {
      const l = interimHosts(tree.left)
      const r = interimHosts(tree.right)
      return l === null ? r : r === null ? l : l.filter((h) => r.includes(h))
    }
    case 'or': {
      const l = interimHosts(tree.left)
      const r = interimHosts(tree.right)
      return l === null || r === null ? null : [...new Set([...l, ...r])]
    }
  }
}

function normalize(host: string): string {
  const h = host.toLowerCase()
  return h.endsWith('.') ? h.slice(0, -1) : h
}

export function compileInterim(tree: InterimTree): (req: MatchRequest) => boolean {
  switch (tree.op) {
    case 'and': {
      const l = compileInterim(tree.left)
      const r = compileInterim(tree.right)
      return (req) => l(req) && r(req)
    }
    case 'or': {
      const l = compileInterim(tree.left)
      const r = compileInterim(tree.right)
      return (req) => l(req) || r(req)
    }
    case 'not': {
      const inner = compileInterim(tree.inner)
      return (req) => !inner(req)
    }
    case 'call':
      return leaf(tree.name, tree.args)
  }
}

function leaf(name: string, args: string[]): (req: MatchRequest) => boolean {
  const [a, b] = args as [string, string | undefined]
  switch (name) {
    case 'Host': {
      const want = normalize(a)
      if (want === '*') return () => true
      if (want.startsWith('*.')) return (req) => req.host.replace(/^[^.]*/, '*') === want
      return (req) => normalize(req.host) === want
    }
    case 'HostRegexp': {
      const re = new RegExp(a)
      return (req) => re.test(req.host)
    }
    case 'Path':
      return (req) => req.path === a
    case 'PathPrefix':
      return (req) => req.path.startsWith(a)
    case 'Method': {
      const m = a.toUpperCase()
      return (req) => req.method === m
    }
    case 'Header':
      return (req) => req.headers.get(a)?.split(',').some((v) => v.trim() === b) ?? false
    default:
      return (req) => req.query.getAll(a).includes(b ?? '')
  }
}
