/**
 * The Host header as Go's HTTP server admits it (net/http readRequest with httpguts'
 * ValidHostHeader): any byte outside the host table (a letter, digit or one of
 * `!$%&'()*+,-.:;=[]_~`) makes the request a 400 before a handler runs. workerd builds the
 * request URL from the Host header as it comes, so without this check `Host: evil.com/x` became
 * part of the path, and `?`, `#`, `@` or markup were matched by host rules, reflected in
 * redirects and forwarded.
 *
 * The edge answers with ../../edge-worker/src/entry-point/answers.ts; explain says the same.
 *
 * @module
 */

// Go's validHostByte table; two Host lines arrive joined by ", " and fail it on the space.
const VALID_HOST = /^[0-9A-Za-z!$%&'()*+,\-.:;=[\]_~]*$/

export function validHostHeader(host: string): boolean {
  return VALID_HOST.test(host)
}
