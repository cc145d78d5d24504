/**
 * Responses the proxy wrote itself because the request never reached the upstream (the server
 * could not be reached): the retry middleware tries those again, as Traefik retries a request
 * its transport could not send. Kept beside the Response rather than in a header so no client
 * or upstream can fake it.
 *
 * @module
 */
import { ProxyError } from './transport.ts'

const notSent = new WeakSet<Response>()

/**
 * Whether a transport failure came before the request was written (Traefik retries only those):
 * the socket transports fail "connecting ..." then (refused, unresolvable, dial timeout); fetch()
 * does not tell, so every unreachable upstream counts there.
 */
export function failedBeforeSending(err: unknown, viaFetch: boolean): boolean {
  if (!(err instanceof ProxyError) || err.code === 'canceled') return false
  if (err.message.startsWith('connecting')) return true
  return viaFetch && err.code === 'unreachable'
}

export function markNotSent(res: Response): Response {
  notSent.add(res)
  return res
}

export function wasNotSent(res: Response): boolean {
  return notSent.has(res)
}
