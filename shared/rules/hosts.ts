/**
 * Host facts of a rule: the exact hosts it is limited to (to shard tables by host), and the
 * domains Traefik extracts for TLS/ACME (every Host() argument).
 *
 * @module
 */
import { forEachMatcher, type RuleNode } from './ast.ts'
import { compileMatcher } from './matchers.ts'
import type { MatchRequest } from './request.ts'

const canonical = (h: string): string => (h.endsWith('.') ? h.slice(0, -1) : h).toLowerCase()

/**
 * The exact hosts a rule can only match (lower-case, no trailing dot), or null when it can match
 * other hosts too (no Host, a wildcard or regexp host, or a Host under `!`).
 */
export function ruleHosts(node: RuleNode): string[] | null {
  switch (node.type) {
    case 'matcher': {
      if (node.name !== 'Host' || node.args.length !== 1) return null
      const h = node.args[0] ?? ''
      return h.includes('*') || h === '' ? null : [canonical(h)]
    }
    case 'not':
      return null
    case 'and': {
      const l = ruleHosts(node.left)
      const r = ruleHosts(node.right)
      if (l === null) return r
      if (r === null) return l
      return l.filter((h) => r.includes(h))
    }
    case 'or': {
      const l = ruleHosts(node.left)
      const r = ruleHosts(node.right)
      return l === null || r === null ? null : [...new Set([...l, ...r])]
    }
  }
}

/** Traefik's ParseDomains: the lower-cased arguments of every Host matcher. */
export function ruleDomains(node: RuleNode): string[] {
  const out: string[] = []
  forEachMatcher(node, (m) => {
    if (m.name === 'Host') out.push(...m.args.map((a) => a.toLowerCase()))
  })
  return out
}

/**
 * A test on the request host alone that every match of the rule passes (from its Host and
 * HostRegexp conjuncts), or null when the rule says nothing certain about the host.
 */
export function hostGate(node: RuleNode): ((host: string) => boolean) | null {
  switch (node.type) {
    case 'matcher': {
      if (node.name !== 'Host' && node.name !== 'HostRegexp') return null
      // These two matchers read only `host`.
      const test = compileMatcher(node)
      return (host) => test({ host } as MatchRequest)
    }
    case 'not':
      return null
    case 'and': {
      const l = hostGate(node.left)
      const r = hostGate(node.right)
      return l === null ? r : r === null ? l : (h) => l(h) && r(h)
    }
    case 'or': {
      const l = hostGate(node.left)
      const r = hostGate(node.right)
      return l === null || r === null ? null : (h) => l(h) || r(h)
    }
  }
}
