/**
 * Why a rule does or does not match a request: the rule tree evaluated as the compiled predicate
 * evaluates it (Go's short-circuit `&&` and `||`), keeping the clauses that decided the result.
 * Each leaf is tested by ./matchers.ts' own predicate, so an explanation cannot disagree with
 * the router index about whether a rule matches.
 *
 * @module
 */
import type { MatcherNode, RuleNode } from './ast.ts'
import { tokenize, type Token } from './lexer.ts'
import { compileMatcher, type Predicate } from './matchers.ts'
import type { MatchRequest } from './request.ts'

/** A clause of the rule that decided the result: a matcher, or a negation (`!...`). */
export interface Clause {
  /** The clause as written in the rule (`PathPrefix(\`/api\`)`, `!Method(\`GET\`)`). */
  text: string
  /** Offsets of the clause in the rule text: [start, end). */
  start: number
  end: number
  /** The matcher's canonical name, or `!` for a negation. */
  matcher: string
  args: string[]
  /** What the request had for it (`host is "a.example"`). */
  observed: string
}

export interface RuleExplanation {
  matched: boolean
  /**
   * When it did not match: the clauses that failed, in evaluation order; the first is the first
   * clause that failed. Several when alternatives (`||`) all failed.
   */
  failed: Clause[]
}

interface Evaluation {
  value: boolean
  /** The clauses that made the value what it is. */
  why: Clause[]
}

const leaves = new WeakMap<MatcherNode, Predicate>()

function leafPredicate(m: MatcherNode): Predicate {
  let p = leaves.get(m)
  if (!p) leaves.set(m, (p = compileMatcher(m)))
  return p
}

/** Explains `tree` (parsed from `rule`) against the request. Throws the rule's build error, as compileMatcher. */
export function explainRule(tree: RuleNode, rule: string, req: MatchRequest): RuleExplanation {
  const spans = new Spans(rule)
  const result = evaluate(tree, req, spans)
  return { matched: result.value, failed: result.value ? [] : result.why }
}

function evaluate(node: RuleNode, req: MatchRequest, spans: Spans): Evaluation {
  switch (node.type) {
    case 'matcher': {
      const clause = (): Clause => ({ ...spans.of(node), matcher: node.name, args: node.args, observed: observed(node, req) })
      return { value: leafPredicate(node)(req), why: [clause()] }
    }
    case 'and': {
      const l = evaluate(node.left, req, spans)
      if (!l.value) return l
      const r = evaluate(node.right, req, spans)
      return r.value ? { value: true, why: [...l.why, ...r.why] } : r
    }
    case 'or': {
      const l = evaluate(node.left, req, spans)
      if (l.value) return l
      const r = evaluate(node.right, req, spans)
      return r.value ? r : { value: false, why: [...l.why, ...r.why] }
    }
    case 'not': {
      const inner = evaluate(node.operand, req, spans)
      const span = spans.of(node)
      const what = inner.why.map((c) => c.observed).join('; ')
      const clause: Clause = {
        ...span,
        matcher: '!',
        args: [],
        observed: inner.value ? `the negated clause matched (${what})` : `the negated clause did not match (${what})`,
      }
      return { value: !inner.value, why: [clause] }
    }
  }
}

const quote = (s: string): string => JSON.stringify(s)

/** The request's value for what the matcher reads. */
function observed(m: MatcherNode, req: MatchRequest): string {
  const key = m.args[0] ?? ''
  switch (m.name) {
    case 'Host':
    case 'HostRegexp':
      return req.host === '' ? 'the request has no host' : `host is ${quote(req.host)}`
    case 'Path':
    case 'PathPrefix':
    case 'PathRegexp':
      return `path is ${quote(req.path)}`
    case 'Method':
      return `method is ${req.method}`
    case 'Header':
    case 'HeaderRegexp': {
      const v = req.headers.get(key)
      return v === null ? `no ${key} header` : `header ${key} is ${quote(v)}`
    }
    case 'Query':
    case 'QueryRegexp': {
      const values = req.query.getAll(key)
      return values.length === 0 ? `no query parameter ${key}` : `query ${key} is ${values.map(quote).join(', ')}`
    }
    case 'ClientIP':
      return req.clientIp === '' ? 'client IP unknown' : `client IP is ${req.clientIp}`
    default:
      return ''
  }
}

/** Where each node stands in the rule text, from the rule's tokens (nodes keep only start offsets). */
class Spans {
  readonly #rule: string
  #tokens: Token[] | null = null

  constructor(rule: string) {
    this.#rule = rule
  }

  of(node: RuleNode): { text: string; start: number; end: number } {
    const [start, end] = this.#span(node)
    return { text: this.#rule.slice(start, end), start, end }
  }

  get #toks(): Token[] {
    return (this.#tokens ??= tokenize(this.#rule))
  }

  #index(at: number): number {
    return this.#toks.findIndex((t) => t.at === at)
  }

  #span(node: RuleNode): [number, number] {
    const toks = this.#toks
    switch (node.type) {
      case 'matcher': {
        // From the name to the `)` after its last argument.
        let i = this.#index(node.argsAt.at(-1) ?? node.at)
        while (i >= 0 && i < toks.length && toks[i]!.kind !== ')' && toks[i]!.kind !== 'eof') i++
        const close = toks[i]
        return [node.at, close && close.kind === ')' ? close.at + 1 : this.#rule.length]
      }
      case 'and':
      case 'or':
        return [this.#span(node.left)[0], this.#span(node.right)[1]]
      case 'not': {
        // Back from the operand over `(` to the `!`; forward over as many `)`.
        const [s, e] = this.#span(node.operand)
        let i = this.#index(s) - 1
        let open = 0
        while (i >= 0 && toks[i]!.kind === '(') i--, open++
        const bang = i >= 0 && toks[i]!.kind === '!' ? toks[i]!.at : s
        let j = toks.findIndex((t) => t.at >= e)
        let end = e
        while (open > 0 && j >= 0 && toks[j]?.kind === ')') (end = toks[j]!.at + 1), j++, open--
        return [bang, end]
      }
    }
  }
}
