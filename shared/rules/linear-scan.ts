/** The reference lookup: try every router in Traefik's order. @module */
import type { MatchRequest } from './request.ts'
import { compileRouters, type RouterIndex, type RouterSpec } from './routers.ts'

export function linearScan<T>(routers: ReadonlyArray<RouterSpec<T>>): RouterIndex<T> {
  const compiled = compileRouters(routers)
  return {
    match(req: MatchRequest) {
      for (const r of compiled) if (r.test(req)) return r.value
      return undefined
    },
    matchAll(req: MatchRequest) {
      return compiled.filter((r) => r.test(req)).map((r) => r.value)
    },
  }
}
