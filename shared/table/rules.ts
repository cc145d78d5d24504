/**
 * The rule language as the table needs it: parse once at build time (tree, hosts, default
 * priority), compile the tree to a matcher when the edge prepares the table.
 *
 * Backed by ./interim-rules.ts until shared/rules lands; then this file re-points to it and
 * nothing else changes.
 *
 * @module
 */
import { compileInterim, interimHosts, parseInterimRule, type InterimTree } from './interim-rules.ts'
import type { MatchRequest } from './match-request.ts'

export interface ParsedRule {
  tree: unknown
  hosts: string[] | null
}

/** Throws an Error saying what is wrong with the rule. */
export function parseRuleForTable(rule: string): ParsedRule {
  const tree = parseInterimRule(rule)
  return { tree, hosts: interimHosts(tree) }
}

/** Traefik's default priority: the rule's length in UTF-8 bytes. */
export function defaultPriority(rule: string): number {
  return new TextEncoder().encode(rule).length
}

export function compileRuleTree(tree: unknown): (req: MatchRequest) => boolean {
  return compileInterim(tree as InterimTree)
}
