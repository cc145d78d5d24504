/**
 * Host-first lookup: routers limited to exact hosts sit in a hash map by host; the others
 * (no Host, wildcard or regexp hosts) in one fallback list. Both lists are in Traefik's order, and
 * a merge walk of the two gives the same first match as the linear scan.
 *
 * @module
 */
import { perHost } from '../http/per-host.ts'
import { hostGate, ruleHosts } from './hosts.ts'
import type { MatchRequest } from './request.ts'
import { compileRouters, type CompiledRouter, type CompileOptions, type RouterIndex, type RouterSpec } from './routers.ts'

const CACHE_HOSTS = 10_000

const stripDot = (h: string): string => (h.endsWith('.') ? h.slice(0, -1) : h)

export function buildRouterIndex<T>(routers: ReadonlyArray<RouterSpec<T>>, options: CompileOptions = {}): RouterIndex<T> {
  const byHost = new Map<string, Array<CompiledRouter<T>>>()
  const fallback: Array<CompiledRouter<T>> = []
  for (const r of compileRouters(routers, options)) {
    const hosts = ruleHosts(r.tree)
    if (hosts === null) {
      fallback.push(r)
      continue
    }
    for (const h of hosts) {
      const list = byHost.get(h)
      if (list === undefined) byHost.set(h, [r])
      else list.push(r)
    }
  }

  const gates = fallback.map((r) => hostGate(r.tree))
  // Per request host, the candidates in Traefik's order: exact-host routers merged with the
  // fallback routers whose host part can match. Bounded, so random hosts cannot grow it forever.
  const candidates = perHost((reqHost): Array<CompiledRouter<T>> => {
    const exact = byHost.get(stripDot(reqHost)) ?? []
    const others = fallback.filter((_, k) => gates[k]?.(reqHost) ?? true)
    return [...exact, ...others].sort((a, b) => a.order - b.order)
  }, CACHE_HOSTS)

  return {
    match(req: MatchRequest) {
      // Indexed: an iterator object per request otherwise.
      const list = candidates(req.host)
      for (let i = 0; i < list.length; i++) if (list[i]!.test(req)) return list[i]!.value
      return undefined
    },
    matchAll(req: MatchRequest) {
      return candidates(req.host)
        .filter((r) => r.test(req))
        .map((r) => r.value)
    },
  }
}
