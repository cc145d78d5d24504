/**
 * Router selection (Traefik's muxer): the request's canonical host, routing path and the rest
 * of what rules read, looked up in the entry point's index of the prepared table.
 *
 * @module
 */
import type { MatchRequest, PreparedRouter, RoutingView } from '../../../shared/table/view.ts'
import { BadPathError, canonicalHost, routingPath } from '../../../shared/rules/index.ts'
import type { EdgeRequest } from '../request.ts'

export type Selection = { router: PreparedRouter } | { status: 400 | 404 }

export function selectRouter(view: RoutingView, req: EdgeRequest): Selection {
  let path: string
  try {
    path = routingPath(req.path)
  } catch (err) {
    // A lone or malformed % in the path: Traefik's muxer answers 400.
    if (err instanceof BadPathError) return { status: 400 }
    throw err
  }
  let query: URLSearchParams | undefined
  const match: MatchRequest = {
    host: canonicalHost(req.host),
    method: req.method,
    path,
    headers: req.headers,
    // Parsed only if a rule reads it.
    get query() {
      return (query ??= new URLSearchParams(req.query))
    },
    clientIp: req.clientIp,
  }
  const router = view.entryPoint(req.entryPoint).match(match, req.tls)
  return router ? { router } : { status: 404 }
}
