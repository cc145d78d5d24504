/** Traefik v3's rule language: parse, check, compile, prioritise, index. @module */
export type { AndNode, MatcherNode, NotNode, OrNode, RuleNode } from './ast.ts'
export { isRuleError, RuleBuildError, RuleSyntaxError } from './errors.ts'
export { ruleDomains, ruleHosts } from './hosts.ts'
export { checkRule, compileMatcher, regexpBounds, type Predicate, type RegexpBound } from './matchers.ts'
export { parseRule } from './parser.ts'
export { defaultPriority, effectivePriority } from './priority.ts'
export {
  BadPathError,
  canonicalHost,
  requestToMatchRequest,
  routingPath,
  type MatchRequest,
} from './request.ts'
export { linearScan } from './linear-scan.ts'
export { buildRouterIndex } from './router-index.ts'
export { providerRank, type RouterIndex, type RouterSpec } from './routers.ts'
