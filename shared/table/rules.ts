/**
 * The rule language as the table needs it (shared/rules): parsed and checked once when the table
 * is built (tree, exact hosts, default priority); matched through shared/rules' router index
 * when the edge prepares the table.
 *
 * @module
 */
import { checkRule, parseRule, regexpBounds, ruleHosts, type RegexpBound, type RuleNode } from '../rules/index.ts'

export { defaultPriority } from '../rules/index.ts'

export interface ParsedRule {
  tree: RuleNode
  hosts: string[] | null
  /** Its regexps with the longest input each matches (the edge bounds the work of a match). */
  regexps: RegexpBound[]
}

/** Throws an Error saying what is wrong with the rule (syntax, or an argument Traefik refuses). */
export function parseRuleForTable(rule: string): ParsedRule {
  const tree = parseRule(rule)
  checkRule(tree)
  return { tree, hosts: ruleHosts(tree), regexps: regexpBounds(tree) }
}
