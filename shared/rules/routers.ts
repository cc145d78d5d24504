/**
 * What both router lookups share: the router input, the RouterIndex interface, and Traefik's
 * order (priority descending; ties by provider rank, then by name so the order is deterministic
 * where Traefik's is undefined).
 *
 * @module
 */
import type { RuleNode } from './ast.ts'
import { compileMatcher, type Predicate } from './matchers.ts'
import { parseRule } from './parser.ts'
import { effectivePriority } from './priority.ts'
import type { MatchRequest } from './request.ts'

export interface RouterSpec<T> {
  name: string
  /** Rule text, or its tree (then pass `ruleText` for the default priority). */
  rule: RuleNode | string
  ruleText?: string
  priority?: number
  /** Tie-break among equal priorities, higher first (see providerRank). */
  rank?: number
  value: T
}

export interface RouterIndex<T> {
  match(req: MatchRequest): T | undefined
  /** Every matching router's value, best first. */
  matchAll(req: MatchRequest): T[]
}

export interface CompiledRouter<T> {
  name: string
  priority: number
  rank: number
  tree: RuleNode
  test: Predicate
  value: T
  /** Position in Traefik's order, 0 = tried first. */
  order: number
}

/** Traefik's providerPriority: index in the reversed precedence list, -1 when not listed. */
export function providerRank(provider: string | undefined, precedence: readonly string[]): number {
  const i = provider === undefined ? -1 : precedence.indexOf(provider)
  return i < 0 ? -1 : precedence.length - 1 - i
}

export interface CompileOptions {
  /**
   * Compile each matcher on the router's first test instead of now. For trees already checked
   * (the edge's table, parsed and checked by the control plane): at 100k routers the compiled
   * closures of routers no request reaches were a quarter of the edge isolate's heap.
   */
  lazy?: boolean
}

/** Parses, compiles and orders routers (throws the rule errors of the first bad router). */
export function compileRouters<T>(routers: ReadonlyArray<RouterSpec<T>>, options: CompileOptions = {}): Array<CompiledRouter<T>> {
  const compiled = routers.map((r) => {
    const tree = typeof r.rule === 'string' ? parseRule(r.rule) : r.rule
    const text = typeof r.rule === 'string' ? r.rule : (r.ruleText ?? '')
    const priority = effectivePriority(text, r.priority)
    const test = options.lazy ? compileOnFirstTest : compileMatcher(tree)
    return { name: r.name, priority, rank: r.rank ?? 0, tree, test, value: r.value, order: 0 }
  })
  compiled.sort((a, b) => b.priority - a.priority || b.rank - a.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  compiled.forEach((r, i) => (r.order = i))
  return compiled
}

/** One function shared by every lazy router (no closure each): compiles, then takes its place. */
function compileOnFirstTest(this: { tree: RuleNode; test: Predicate }, req: MatchRequest): boolean {
  this.test = compileMatcher(this.tree)
  return this.test(req)
}
