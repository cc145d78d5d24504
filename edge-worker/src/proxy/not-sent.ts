/**
 * Responses the proxy wrote itself because the request never reached the upstream (the server
 * could not be reached): the retry middleware tries those again, as Traefik retries a request
 * its transport could not send. Kept beside the Response rather than in a header so no client
 * or upstream can fake it.
 *
 * @module
 */
const notSent = new WeakSet<Response>()

export function markNotSent(res: Response): Response {
  notSent.add(res)
  return res
}

export function wasNotSent(res: Response): boolean {
  return notSent.has(res)
}
