/**
 * Traefik's sourceCriterion (GetSourceExtractor): which key groups requests for rateLimit and
 * inFlightReq. The three criteria are mutually exclusive; none set means the middleware's
 * default (rateLimit: ipStrategy {} = the client address; inFlightReq: requestHost).
 *
 * @module
 */
import type { SourceCriterion } from '../dynamic/types.ts'
import { ipStrategy, type StrategyRequest } from '../ip/strategy.ts'

/** What a source criterion reads of a request (the edge's EdgeRequest has it). */
export interface SourceRequest extends StrategyRequest {
  /** Go's req.Host. */
  host: string
}

export type SourceExtractor = (req: SourceRequest) => string

/** Throws (naming the field) on a configuration Traefik refuses. */
export function sourceExtractor(type: string, criterion: SourceCriterion | undefined, fallback: SourceCriterion): SourceExtractor {
  const c = criterion ?? {}
  const field = `${type}.sourceCriterion`
  if (c.ipStrategy && c.requestHeaderName) throw new Error(`${field}: iPStrategy and RequestHeaderName are mutually exclusive`)
  if (c.ipStrategy && c.requestHost) throw new Error(`${field}: iPStrategy and RequestHost are mutually exclusive`)
  if (c.requestHeaderName && c.requestHost) throw new Error(`${field}: requestHost and RequestHeaderName are mutually exclusive`)
  const chosen = c.ipStrategy || c.requestHeaderName || c.requestHost ? c : fallback
  if (chosen.ipStrategy) {
    let strategy: ReturnType<typeof ipStrategy>
    try {
      strategy = ipStrategy(chosen.ipStrategy)
    } catch (err) {
      throw new Error(`${field}.${(err as Error).message}`)
    }
    return strategy
  }
  if (chosen.requestHeaderName) {
    const name = chosen.requestHeaderName
    return (req) => req.headers.get(name) ?? ''
  }
  return (req) => req.host
}
