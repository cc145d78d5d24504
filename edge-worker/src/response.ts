// Responses from upstreams are immutable; these give a mutable copy without touching the body
// stream (and keep a WebSocket upgrade's socket).

/** A copy of `res` whose headers `edit` may change. */
export function withResponseHeaders(res: Response, edit: (headers: Headers) => void): Response {
  const headers = new Headers(res.headers)
  edit(headers)
  if (res.webSocket) return new Response(null, { status: res.status, statusText: res.statusText, headers, webSocket: res.webSocket })
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers })
}
