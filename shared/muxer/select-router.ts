/**
 * Router selection (Traefik's muxer): the request's canonical host, routing path and the rest
 * of what rules read, looked up in the entry point's index of the prepared table.
 *
 * @module
 */
import type { MatchRequest, PreparedRouter, RoutingView } from '../table/view.ts'
import { BadPathError, canonicalHost, routingPath } from '../rules/index.ts'
import { perHost } from '../http/per-host.ts'

export type Selection = { router: PreparedRouter } | { status: 400 | 404 }

/** What the muxer reads of a request (the edge's EdgeRequest has these, and so has `explain`'s). */
export interface RoutingRequest {
  method: string
  /** Go's req.Host: the Host header as the client sent it, port included. */
  host: string
  /** The escaped path. */
  path: string
  /** The raw query without `?`. */
  query: string
  headers: Headers
  clientIp: string
  tls: boolean
  entryPoint: string
}

// Per Host rather than per request: canonicalHost slices and lower-cases.
const canonicalHostOf = perHost(canonicalHost)

export function selectRouter(view: RoutingView, req: RoutingRequest): Selection {
  let path: string
  try {
    path = routingPath(req.path)
  } catch (err) {
    // A lone or malformed % in the path: Traefik's muxer answers 400.
    if (err instanceof BadPathError) return { status: 400 }
    throw err
  }
  const match = new MatchFacts(canonicalHostOf(req.host), req.method, path, req.headers, req.query, req.clientIp)
  const router = view.entryPoint(req.entryPoint).match(match, req.tls)
  return router ? { router } : { status: 404 }
}

/**
 * The facts rules read, with the query parsed only if a rule reads it. A class: an object
 * literal with a getter is built on V8's slow path, on every request.
 */
class MatchFacts implements MatchRequest {
  readonly host: string
  readonly method: string
  readonly path: string
  readonly headers: Headers
  readonly clientIp: string
  readonly #rawQuery: string
  #query: URLSearchParams | undefined

  constructor(host: string, method: string, path: string, headers: Headers, rawQuery: string, clientIp: string) {
    this.host = host
    this.method = method
    this.path = path
    this.headers = headers
    this.#rawQuery = rawQuery
    this.clientIp = clientIp
  }

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.#rawQuery))
  }
}
