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

const NONE: never[] = []

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

  /** Calls `visit` on the candidates in Traefik's order until it returns true (no generator: hot path). */
  function walk(req: MatchRequest, visit: (r: CompiledRouter<T>) => boolean): void {
    const exact = byHost.get(stripDot(req.host)) ?? NONE
    let i = 0
    let j = 0
    for (;;) {
      const e = exact[i]
      const f = fallback[j]
      if (e === undefined && f === undefined) return
      if (f === undefined || (e !== undefined && e.order < f.order)) {
        i++
        if (visit(e as CompiledRouter<T>)) return
      } else {
        j++
        if (visit(f)) return
      }
    }
  }

  return {
    match(req: MatchRequest) {
      let found: CompiledRouter<T> | undefined
      walk(req, (r) => r.test(req) && (found = r) !== undefined)
      return found?.value
    },
    matchAll(req: MatchRequest) {
      const out: T[] = []
      walk(req, (r) => {
        if (r.test(req)) out.push(r.value)
        return false
      })
      return out
    },
  }
}
