/**
 * The parsed form of a rule: plain JSON data (the compiler stores it in the edge's table), with
 * the offsets of every matcher and argument so that build errors can point into the rule text.
 *
 * @module
 */

export interface MatcherNode {
  type: 'matcher'
  /** Canonical name (`PathPrefix`), whichever accepted spelling the rule used. */
  name: string
  args: string[]
  /** Offset of the matcher name in the rule text. */
  at: number
  /** Offset of each argument's opening quote. */
  argsAt: number[]
}

export interface AndNode {
  type: 'and'
  left: RuleNode
  right: RuleNode
}

export interface OrNode {
  type: 'or'
  left: RuleNode
  right: RuleNode
}

export interface NotNode {
  type: 'not'
  operand: RuleNode
}

export type RuleNode = MatcherNode | AndNode | OrNode | NotNode

/** Traefik v3's HTTP matchers with the argument counts each accepts. */
export const HTTP_MATCHERS: Readonly<Record<string, { min: number; max: number }>> = {
  ClientIP: { min: 1, max: 1 },
  Method: { min: 1, max: 1 },
  Host: { min: 1, max: 1 },
  HostRegexp: { min: 1, max: 1 },
  Path: { min: 1, max: 1 },
  PathPrefix: { min: 1, max: 1 },
  PathRegexp: { min: 1, max: 1 },
  Header: { min: 2, max: 2 },
  HeaderRegexp: { min: 2, max: 2 },
  Query: { min: 1, max: 2 },
  QueryRegexp: { min: 1, max: 2 },
}

/**
 * The spellings under which Traefik registers each matcher: as written, lower case, upper case,
 * and the lower case with its first letter upper (`Pathprefix`). Nothing else (`pathPrefix` is
 * an unknown matcher).
 */
export function matcherSpellings(names: Iterable<string>): Map<string, string> {
  const spellings = new Map<string, string>()
  for (const name of names) {
    const lower = name.toLowerCase()
    for (const s of [name, lower, name.toUpperCase(), lower.charAt(0).toUpperCase() + lower.slice(1)]) {
      spellings.set(s, name)
    }
  }
  return spellings
}

/** Calls `visit` on every matcher of the tree, left to right. */
export function forEachMatcher(node: RuleNode, visit: (m: MatcherNode) => void): void {
  switch (node.type) {
    case 'matcher':
      visit(node)
      return
    case 'not':
      forEachMatcher(node.operand, visit)
      return
    default:
      forEachMatcher(node.left, visit)
      forEachMatcher(node.right, visit)
  }
}
