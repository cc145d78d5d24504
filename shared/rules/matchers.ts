/**
 * Rule tree to predicate, with Traefik v3's matcher semantics (Traefik's pkg/muxer/http/matcher.go,
 * mux.go and pkg/rules/parser.go). Every
 * argument is validated and every regexp compiled here, once; a bad one is a RuleBuildError.
 *
 * @module
 */
import { forEachMatcher, HTTP_MATCHERS, type MatcherNode, type RuleNode } from './ast.ts'
import { RuleBuildError } from './errors.ts'
import { cidrContains, parseCidr } from './ip.ts'
import { compileGoRegexp, RegexpSyntaxError, type GoRegexp } from './regexp/compile.ts'
import type { MatchRequest } from './request.ts'

export type Predicate = (req: MatchRequest) => boolean

/** Traefik's CheckRule: at least one argument and no empty one (any matcher set). */
export function checkArguments(m: MatcherNode): void {
  if (m.args.length === 0) throw new RuleBuildError(m.name, m.at, 'needs at least one argument')
  const empty = m.args.indexOf('')
  if (empty >= 0) throw new RuleBuildError(m.name, argAt(m, empty), 'arguments must not be empty')
}

const argAt = (m: MatcherNode, i: number): number => m.argsAt[i] ?? m.at

function regexp(m: MatcherNode, index: number): GoRegexp {
  try {
    return compileGoRegexp(m.args[index] ?? '')
  } catch (e) {
    if (!(e instanceof RegexpSyntaxError)) throw e
    throw new RuleBuildError(m.name, argAt(m, index) + 1 + e.offset, `invalid regexp: ${e.message}`)
  }
}

function requireAscii(m: MatcherNode): void {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(m.args[0] ?? '')) {
    throw new RuleBuildError(m.name, argAt(m, 0), 'must be ASCII (write international names in punycode)')
  }
}

function requireSlash(m: MatcherNode): void {
  if (!(m.args[0] ?? '').startsWith('/')) throw new RuleBuildError(m.name, argAt(m, 0), 'path must start with /')
}

const stripDot = (h: string): string => (h.endsWith('.') ? h.slice(0, -1) : h)

function hostMatcher(m: MatcherNode): Predicate {
  requireAscii(m)
  const expr = stripDot((m.args[0] ?? '').toLowerCase())
  if (expr === '*') return () => true
  if (expr.startsWith('*')) {
    return (req) => {
      const host = stripDot(req.host)
      if (host === '') return false
      const dot = host.indexOf('.')
      return (dot < 0 ? '*' : `*${host.slice(dot)}`) === expr
    }
  }
  return (req) => req.host !== '' && stripDot(req.host) === expr
}

/** Fetch joins repeated header lines with ", "; Traefik tests each line, so test both forms. */
function headerValues(req: MatchRequest, key: string): string[] {
  const joined = req.headers.get(key)
  if (joined === null) return []
  if (!joined.includes(',')) return [joined]
  return [joined, ...joined.split(',').map((v) => v.trim())]
}

function buildLeaf(m: MatcherNode): Predicate {
  const spec = HTTP_MATCHERS[m.name]
  if (spec === undefined) throw new RuleBuildError(m.name, m.at, 'unknown matcher')
  checkArguments(m)
  if (m.args.length < spec.min || m.args.length > spec.max) {
    const want = spec.min === spec.max ? `${spec.min}` : `${spec.min} or ${spec.max}`
    throw new RuleBuildError(m.name, m.at, `takes ${want} argument(s), got ${m.args.length}`)
  }
  const a = m.args[0] ?? ''
  const b = m.args[1]
  switch (m.name) {
    case 'Host':
      return hostMatcher(m)
    case 'HostRegexp': {
      requireAscii(m)
      const re = regexp(m, 0)
      return (req) => re.test(req.host)
    }
    case 'Path':
      requireSlash(m)
      return (req) => req.path === a
    case 'PathPrefix':
      requireSlash(m)
      return (req) => req.path.startsWith(a)
    case 'PathRegexp': {
      const re = regexp(m, 0)
      return (req) => re.test(req.path)
    }
    case 'Method': {
      const method = a.toUpperCase()
      return (req) => req.method === method
    }
    case 'Header': {
      const v = b ?? ''
      return (req) => headerValues(req, a).includes(v)
    }
    case 'HeaderRegexp': {
      const re = regexp(m, 1)
      return (req) => headerValues(req, a).some((v) => re.test(v))
    }
    case 'Query':
    case 'QueryRegexp': {
      if (b === undefined) return (req) => req.query.getAll(a).includes('')
      const v = b
      if (m.name === 'Query') return (req) => req.query.getAll(a).includes(v)
      const re = regexp(m, 1)
      return (req) => req.query.getAll(a).some((v) => re.test(v))
    }
    case 'ClientIP': {
      const cidr = parseCidr(a)
      if (cidr === undefined) throw new RuleBuildError(m.name, argAt(m, 0), `invalid IP or CIDR ${a}`)
      return (req) => cidrContains(cidr, req.clientIp)
    }
    default:
      throw new RuleBuildError(m.name, m.at, 'unknown matcher')
  }
}

/** Compiles a parsed rule; throws RuleBuildError for a bad argument. */
export function compileMatcher(node: RuleNode): Predicate {
  switch (node.type) {
    case 'matcher':
      return buildLeaf(node)
    case 'not': {
      const inner = compileMatcher(node.operand)
      return (req) => !inner(req)
    }
    case 'and': {
      const l = compileMatcher(node.left)
      const r = compileMatcher(node.right)
      return (req) => l(req) && r(req)
    }
    case 'or': {
      const l = compileMatcher(node.left)
      const r = compileMatcher(node.right)
      return (req) => l(req) || r(req)
    }
  }
}

/** Build-time checks (arity, paths, regexps, CIDRs) without keeping the predicate. */
export function checkRule(node: RuleNode): void {
  forEachMatcher(node, (m) => void buildLeaf(m))
}

/** A regexp of a rule and the longest input a match of it runs on (./regexp/compile.ts). */
export interface RegexpBound {
  matcher: string
  pattern: string
  states: number
  maxInput: number
}

/** Which argument of each regexp matcher is the pattern. */
const REGEXP_ARG: Readonly<Record<string, number>> = { HostRegexp: 0, PathRegexp: 0, HeaderRegexp: 1, QueryRegexp: 1 }

/** The regexps of a checked rule, with their bounds. */
export function regexpBounds(node: RuleNode): RegexpBound[] {
  const out: RegexpBound[] = []
  forEachMatcher(node, (m) => {
    const index = REGEXP_ARG[m.name]
    if (index === undefined || m.args[index] === undefined) return
    const re = regexp(m, index)
    out.push({ matcher: m.name, pattern: m.args[index]!, states: re.states, maxInput: re.maxInput })
  })
  return out
}
