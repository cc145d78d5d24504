/**
 * The Host header as Go's HTTP server admits it (net/http readRequest with httpguts'
 * ValidHostHeader): any byte outside the host table (a letter, digit or one of
 * `!$%&'()*+,-.:;=[]_~`) makes the request a 400 before a handler runs. workerd builds the
 * request URL from the Host header as it comes, so without this check `Host: evil.com/x` became
 * part of the path, and `?`, `#`, `@` or markup were matched by host rules, reflected in
 * redirects and forwarded.
 *
 * @module
 */

// Go's validHostByte table; two Host lines arrive joined by ", " and fail it on the space.
const VALID_HOST = /^[0-9A-Za-z!$%&'()*+,\-.:;=[\]_~]*$/

export function validHostHeader(host: string): boolean {
  return VALID_HOST.test(host)
}

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
