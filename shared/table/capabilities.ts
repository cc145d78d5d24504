/**
 * What the edge implements, known to both sides: the control plane reports anything else at
 * compile time, and the edge answers an error for it rather than serving it differently.
 *
 * @module
 */
import type { ForwardAuth, Headers as HeadersConfig, RateLimit } from '../dynamic/types.ts'
import { forwardAuthUnsupportedAnywhere } from '../middlewares/forward-auth.ts'
import { headersUnsupported } from '../middlewares/headers.ts'
import { rateLimitUnsupported } from '../middlewares/rate-limit.ts'
import { authUsersFileUnsupported } from '../middlewares/users.ts'

/** Middleware types the edge runs (edge-worker/src/middlewares registers exactly these). */
export const EDGE_MIDDLEWARES = [
  'addPrefix',
  'basicAuth',
  'buffering',
  'circuitBreaker',
  'compress',
  'contentType',
  'digestAuth',
  'encodedCharacters',
  'errors',
  'forwardAuth',
  'headers',
  'inFlightReq',
  'ipAllowList',
  'ipWhiteList',
  'passTLSClientCert',
  'rateLimit',
  'redirectRegex',
  'redirectScheme',
  'replacePath',
  'replacePathRegex',
  'retry',
  'stripPrefix',
  'stripPrefixRegex',
] as const

export type EdgeMiddlewareType = (typeof EDGE_MIDDLEWARES)[number]

/** Status a route answers when one of its middlewares is not implemented by the edge. */
export const UNIMPLEMENTED_MIDDLEWARE_STATUS = 501

/** Where the table will be served from: what the upstream fetch there can and cannot do. */
export type EdgeTarget = 'workerd' | 'cloudflare'

/** Middleware types the edge cannot run, where there is more to say than "not implemented". */
const NOT_AT_EDGE: Record<string, string> = {
  grpcWeb:
    'grpcWeb is not implemented by the edge: it translates gRPC-Web into gRPC, which needs HTTP/2 with trailers to the upstream, and the edge reaches upstreams over HTTP/1.1 only',
}

/** For passTLSClientCert: only Cloudflare gives the worker the client certificate (mTLS on the zone). */
export function clientCertUnsupported(config: { pem?: boolean; info?: unknown } | undefined, target: EdgeTarget | undefined): string | null {
  const wants = config?.pem === true || (config?.info !== undefined && config.info !== null)
  return wants && target === 'workerd'
    ? 'passTLSClientCert: workerd does not give the worker the client certificate (on Cloudflare it comes from mTLS on the zone)'
    : null
}

/** Why the edge cannot run this middleware as configured (on `target` when known), or null when it can. */
export function middlewareUnsupported(type: string, config: unknown, target?: EdgeTarget): string | null {
  if (!(EDGE_MIDDLEWARES as readonly string[]).includes(type)) return NOT_AT_EDGE[type] ?? `${type} is not implemented by the edge`
  if (type === 'passTLSClientCert') return clientCertUnsupported(config as { pem?: boolean }, target)
  if (type === 'headers') return headersUnsupported(config as HeadersConfig)
  if (type === 'basicAuth' || type === 'digestAuth') return authUsersFileUnsupported(type, config as { usersFile?: string })
  if (type === 'rateLimit') return rateLimitUnsupported(config as RateLimit | undefined)
  if (type === 'forwardAuth') return forwardAuthUnsupportedAnywhere(config as ForwardAuth | undefined)
  return null
}
