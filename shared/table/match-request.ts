// The request facts rule matching reads. Re-exported from shared/rules once it lands there, so the
// table and the matcher agree on one shape.
export interface MatchRequest {
  /** Canonical host: lower case, no port. */
  host: string
  method: string
  /** Routing path (Traefik's: non-reserved %XX decoded). */
  path: string
  headers: Headers
  query: URLSearchParams
  /** Client address, without port. */
  clientIp: string
}
