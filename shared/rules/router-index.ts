/**
 * Host-first lookup: routers limited to exact hosts sit in a hash map by host; the others
 * (no Host, wildcard or regexp hosts) in one fallback list. Both lists are in Traefik's order, and
 * a merge walk of the two gives the same first match as the linear scan.
 *
 * @module
 */
import { ruleHosts } from './hosts.ts'
import type { MatchRequest } from './request.ts'
import { compileRouters, type CompiledRouter, type RouterIndex, type RouterSpec } from './routers.ts'

const stripDot = (h: string): string => (h.endsWith('.') ? h.slice(0, -1) : h)

export function buildRouterIndex<T>(routers: ReadonlyArray<RouterSpec<T>>): RouterIndex<T> {
  const byHost = new Map<string, Array<CompiledRouter<T>>>()
  const fallback: Array<CompiledRouter<T>> = []
  for (const r of compileRouters(routers)) {
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

  function* candidates(req: MatchRequest): Generator<CompiledRouter<T>> {
    const exact = byHost.get(stripDot(req.host)) ?? []
    let i = 0
    let j = 0
    for (;;) {
      const e = exact[i]
      const f = fallback[j]
      if (e === undefined && f === undefined) return
      if (f === undefined || (e !== undefined && e.order < f.order)) {
        yield e as CompiledRouter<T>
        i++
      } else {
        yield f
        j++
      }
    }
  }

  return {
    match(req: MatchRequest) {
      for (const r of candidates(req)) if (r.test(req)) return r.value
      return undefined
    },
    matchAll(req: MatchRequest) {
      const out: T[] = []
      for (const r of candidates(req)) if (r.test(req)) out.push(r.value)
      return out
    },
  }
}
