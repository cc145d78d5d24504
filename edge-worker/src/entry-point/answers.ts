/**
 * What the edge's entry point answers before routing: Go's server for a malformed Host
 * (shared/http/host.ts), Traefik's entry point for a `%` too close to the end of the path
 * (shared/http/request-path.ts).
 *
 * @module
 */

const MALFORMED = '400 Bad Request: malformed Host header'

/**
 * Go's answer to a malformed Host: the reason in the status line and the body. (Go also closes
 * the connection; workerd decides that itself and keeps it open.)
 */
export function malformedHost(): Response {
  return new Response(MALFORMED, {
    status: 400,
    statusText: 'Bad Request: malformed Host header',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  })
}

/** Traefik's answer to a `%` too close to the end of the path: 400, empty body. */
export function badPath(): Response {
  return new Response(null, { status: 400 })
}
